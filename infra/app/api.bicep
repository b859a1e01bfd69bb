// The Function App on Flex Consumption (Linux, Node 22). Everything it connects to, it reaches as its
// user-assigned identity: the host storage (AzureWebJobsStorage__*), the deployment package, Application
// Insights, the backup storage (BACKUP_STORAGE__*), Graph (AZURE_CLIENT_ID) and, with an app
// registration, the Key Vault secret reference.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param hostStorageName string
param deploymentContainerName string
param maximumInstanceCount int
param applicationInsightsName string
param backupStorageName string
@description('Empty: Graph by managed identity. Otherwise the vault holding the app registration\'s secret.')
param keyVaultUri string
param exchangeTenantId string
param exchangeClientId string
@description('The app\'s own settings: schedules, task hub, engine options, cloud endpoints, names.')
param appSettings object
@description('Client id of the Entra ID app registration whose access tokens the management endpoints accept.')
param managementClientId string
@description('Empty: no virtual network. Otherwise the subnet (delegated to Microsoft.App/environments) the app reaches the backup account through.')
param virtualNetworkSubnetId string

resource hostAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource backupAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: backupStorageName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
        // One instance always running for the Durable group (orchestrations, activities, entities), as
        // the Flex Consumption docs advise for Durable apps: task hub messages are picked up without
        // waiting for a cold start. It is billed while idle (docs/capacity.md).
        alwaysReady: [{ name: 'durable', instanceCount: 1 }]
      }
      runtime: { name: 'node', version: '22' }
    }
  }
}

var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Durable Functions needs all three services by URI with an identity (durable-functions-configure-managed-identity).
  AzureWebJobsStorage__blobServiceUri: hostAccount.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: hostAccount.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: hostAccount.properties.primaryEndpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

var identitySettings = {
  // With the platform's IDENTITY_ENDPOINT, this client id selects the identity for Graph and storage.
  AZURE_CLIENT_ID: identityClientId
  BACKUP_STORAGE__blobServiceUri: backupAccount.properties.primaryEndpoints.blob
  BACKUP_STORAGE__tableServiceUri: backupAccount.properties.primaryEndpoints.table
  BACKUP_STORAGE__clientId: identityClientId
}

// The app registration alternative: the secret itself stays in Key Vault; the setting holds a reference
// without a version, so a new secret version is picked up (within a day, or at once on restart).
var appRegistrationSettings = {
  EXCHANGE_TENANT_ID: exchangeTenantId
  EXCHANGE_CLIENT_ID: exchangeClientId
  EXCHANGE_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/exchange-client-secret)'
}

// azd provision replaces the whole set: change settings through its parameters, not in the portal.
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, hostSettings, identitySettings, empty(keyVaultUri) ? {} : appRegistrationSettings)
}

// Entra ID in front of every endpoint (docs/security.md): App Service authentication checks the caller's
// access token (signature, issuer, audience, expiry) before a request reaches the app, answers 401 without
// one, and hands the token's claims on in x-ms-client-principal, where the code looks for the app role the
// endpoint needs. The function keys stay required as well: the code cannot tell whether this is still on.
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
    }
    httpSettings: { requireHttps: true }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: managementClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [managementClientId, 'api://${managementClientId}']
        }
      }
    }
    // Callers send bearer tokens; nothing signs in through a browser, so no token store.
    login: { tokenStore: { enabled: false } }
  }
}

// azd deploys to Flex with an Entra token; publishing with a user name and password stays off.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

output name string = site.name
