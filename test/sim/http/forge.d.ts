// The few node-forge APIs certs.ts uses. node-forge (a dependency of selfsigned) ships no types, and Node's
// own crypto can parse certificates but cannot issue them.
declare module 'node-forge' {
    interface ForgeAttribute {
        name?: string;
        shortName?: string;
        value: string;
    }
    interface ForgeExtension {
        name: string;
        [option: string]: unknown;
    }
    interface ForgeKey {
        readonly n?: unknown;
    }
    interface ForgeCertificate {
        serialNumber: string;
        validity: { notBefore: Date; notAfter: Date };
        publicKey: ForgeKey;
        setSubject(attrs: ForgeAttribute[]): void;
        setIssuer(attrs: ForgeAttribute[]): void;
        setExtensions(exts: ForgeExtension[]): void;
        sign(key: ForgeKey, md: unknown): void;
    }
    interface Forge {
        pki: {
            createCertificate(): ForgeCertificate;
            certificateToPem(cert: ForgeCertificate): string;
            privateKeyFromPem(pem: string): ForgeKey;
            publicKeyFromPem(pem: string): ForgeKey;
        };
        md: { sha256: { create(): unknown } };
    }
    const forge: Forge;
    export = forge;
}
