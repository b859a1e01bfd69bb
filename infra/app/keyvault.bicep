// Only for graphAuth = appRegistrationSecret: holds the app registration's client secret, which the
// deployer (or an administrator) puts in after deployment; the template never sees it. Access is Azure
// RBAC only: the app's identity may read secrets, the deployer may write them.
param name string
param location string
param tags object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // A deleted secret stays recoverable for 90 days and cannot be purged early, by anyone.
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
