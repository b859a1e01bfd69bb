import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

export interface TestCertificates {
    /** The CA certificate to hand to NODE_EXTRA_CA_CERTS. */
    caCertPath: string;
    certPem: string;
    keyPem: string;
}

interface Bundle {
    caPem: string;
    certPem: string;
    keyPem: string;
}

const BUNDLE_FILE = 'server-tls.json';
const CA_FILE = 'ca.pem';
const DAY_MS = 86_400_000;

/**
 * A private CA and a localhost server certificate signed by it. Node reads NODE_EXTRA_CA_CERTS once, at process
 * start, so a global setup and every child process must agree on one CA: the first caller writes the files, later
 * callers reuse them while they are valid.
 */
export async function createTestCertificates(dir: string): Promise<TestCertificates> {
    await fs.mkdir(dir, { recursive: true });
    const bundlePath = path.join(dir, BUNDLE_FILE);
    let bundle = await readValidBundle(bundlePath);
    if (!bundle) {
        await fs.rm(bundlePath, { force: true });
        bundle = await publishBundle(bundlePath, generateBundle());
    }
    const caCertPath = path.join(dir, CA_FILE);
    await writeIfDifferent(caCertPath, bundle.caPem);
    return { caCertPath, certPem: bundle.certPem, keyPem: bundle.keyPem };
}

async function readValidBundle(file: string): Promise<Bundle | undefined> {
    try {
        const bundle = JSON.parse(await fs.readFile(file, 'utf8')) as Bundle;
        return isValid(bundle) ? bundle : undefined;
    } catch {
        return undefined;
    }
}

function isValid(bundle: Bundle): boolean {
    try {
        const ca = new X509Certificate(bundle.caPem);
        const cert = new X509Certificate(bundle.certPem);
        const stillValid = (c: X509Certificate): boolean => new Date(c.validTo).getTime() > Date.now() + DAY_MS;
        return (
            stillValid(ca) &&
            stillValid(cert) &&
            cert.verify(ca.publicKey) &&
            cert.checkPrivateKey(createPrivateKey(bundle.keyPem)) &&
            cert.checkHost('localhost') !== undefined &&
            cert.checkIP('127.0.0.1') !== undefined
        );
    } catch {
        return false;
    }
}

/** Hard-links a fully written temp file into place, so concurrent first callers all end up with the winner's CA. */
async function publishBundle(file: string, bundle: Bundle): Promise<Bundle> {
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(temp, JSON.stringify(bundle));
    try {
        await fs.link(temp, file);
        return bundle;
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const winner = await readValidBundle(file);
        if (!winner) throw new Error(`${file} exists but holds no valid certificates`, { cause: err });
        return winner;
    } finally {
        await fs.rm(temp, { force: true });
    }
}

async function writeIfDifferent(file: string, content: string): Promise<void> {
    const current = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (current === content) return;
    const temp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temp, content);
    await fs.rename(temp, file);
}

function generateBundle(): Bundle {
    const caKeys = rsaKeyPair();
    const serverKeys = rsaKeyPair();
    const caSubject = [
        { name: 'commonName', value: 'Mail Backup Simulator Test CA' },
        { name: 'organizationName', value: 'mail-backup tests' },
    ];
    const caCert = forge.pki.createCertificate();
    setBasics(caCert, forge.pki.publicKeyFromPem(caKeys.publicKey), 3650);
    caCert.setSubject(caSubject);
    caCert.setIssuer(caSubject);
    caCert.setExtensions([
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        { name: 'subjectKeyIdentifier' },
    ]);
    const caPrivate = forge.pki.privateKeyFromPem(caKeys.privateKey);
    caCert.sign(caPrivate, forge.md.sha256.create());

    const cert = forge.pki.createCertificate();
    setBasics(cert, forge.pki.publicKeyFromPem(serverKeys.publicKey), 825);
    cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
    cert.setIssuer(caSubject);
    cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
            name: 'subjectAltName',
            altNames: [
                { type: 2, value: 'localhost' },
                { type: 7, ip: '127.0.0.1' },
                { type: 7, ip: '::1' },
            ],
        },
    ]);
    cert.sign(caPrivate, forge.md.sha256.create());
    return {
        caPem: forge.pki.certificateToPem(caCert),
        certPem: forge.pki.certificateToPem(cert),
        keyPem: serverKeys.privateKey,
    };
}

function setBasics(
    cert: ReturnType<typeof forge.pki.createCertificate>,
    publicKey: ReturnType<typeof forge.pki.publicKeyFromPem>,
    days: number,
): void {
    // A leading 0 nibble keeps the DER integer positive, as RFC 5280 requires of serial numbers.
    cert.serialNumber = '0' + randomBytes(15).toString('hex');
    cert.validity.notBefore = new Date(Date.now() - DAY_MS);
    cert.validity.notAfter = new Date(Date.now() + days * DAY_MS);
    cert.publicKey = publicKey;
}

function rsaKeyPair(): { publicKey: string; privateKey: string } {
    return generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
}
