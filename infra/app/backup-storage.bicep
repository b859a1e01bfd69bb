// The backup: six tables and one blob container (docs/storage-format.md). Hardened the way a
// security review expects: Entra ID only (no shared key, no SAS signed with a key), no anonymous blob
// access, TLS 1.2, double encryption at rest, and deleted or overwritten blobs kept restorable.
param name string
param location string
param tags object
param sku string
param containerName string
param coolAfterDays int
param coldAfterDays int
param softDeleteDays int
param previousVersionDays int
param immutabilityDays int

@description('Also hosts the Functions deployment package when the host has no account of its own; empty: not here.')
param deploymentContainerName string

@description('False: reachable only through the private endpoints of network.bicep (privateBackupStorage).')
param publicNetworkAccess bool

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: sku }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    // The engine and the host sign in with the managed identity; nothing needs an account key.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
    networkAcls: { defaultAction: publicNetworkAccess ? 'Allow' : 'Deny', bypass: 'AzureServices' }
    encryption: {
      keySource: 'Microsoft.Storage'
      // Infrastructure encryption (a second AES-256 layer) can only be chosen when the account is created.
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        // Tables and queues are covered by infrastructure encryption only with account-scoped keys.
        table: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    // Versioning keeps what a delete or an overwrite replaced; soft delete keeps deleted versions and
    // containers for softDeleteDays. Content blobs are written once (If-None-Match: *), so versions
    // come mostly from the per-mailbox lock blobs, which the lifecycle rule below trims.
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: softDeleteDays }
    containerDeleteRetentionPolicy: { enabled: true, days: softDeleteDays }
  }
}

// Version-level immutability rather than a container-level policy: under a container-level policy no
// blob may be changed or deleted at all, yet the engine sets metadata on its lock blobs (locks/) and
// deletes its staging blobs. With version-level immutability an overwrite or a delete turns the current
// version into a protected previous one instead of failing (learn.microsoft.com, "Version-level WORM
// policies"). Whether the lock's metadata write is accepted the same way only a deployment shows: try
// it unlocked, with a short period, first. Set immutabilityDays before the container is created; an
// existing container has to be migrated in the portal.
resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: immutabilityDays > 0 ? { enabled: true } : null
  }
}

// IRREVERSIBLE once locked: this deploys the policy unlocked (it can still be removed or shortened, which
// is how to try it out). Locking it (az storage container immutability-policy lock) makes it permanent:
// it can then only be extended, no one (not Microsoft support either) can delete a protected version
// before its days have passed, and the account and its resource group cannot be deleted until then.
resource immutability 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = if (immutabilityDays > 0) {
  parent: container
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: immutabilityDays
    allowProtectedAppendWrites: false
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = if (!empty(deploymentContainerName)) {
  parent: blobService
  name: empty(deploymentContainerName) ? 'unused' : deploymentContainerName
  properties: { publicAccess: 'None' }
}

// Mail is read rarely after it is backed up: content/ (MIME and JSON) and attachments/ move to cheaper
// tiers by age. Cool bills 30 days and Cold 90 days at least, and reading them costs more, which the
// weekly verification of a small sample does. The lifecycle service needs no role: it is the platform.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'content-to-cool-then-cold'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${containerName}/content/', '${containerName}/attachments/']
            }
            actions: {
              baseBlob: {
                tierToCool: { daysAfterModificationGreaterThan: coolAfterDays }
                tierToCold: { daysAfterModificationGreaterThan: max(coldAfterDays, coolAfterDays + 1) }
              }
            }
          }
        }
        {
          name: 'previous-versions-expire'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${containerName}/']
            }
            actions: {
              version: {
                delete: { daysAfterCreationGreaterThan: previousVersionDays }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [container]
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
