// Data-plane roles for exactly what the code does, and nothing on the control plane: the identity can
// neither read account keys nor change any resource.
//   backup account  the engine: blobs (content, staging copies, lock leases) and tables (the index);
//                   Blob Data Contributor covers leases, Copy Blob From URL and user delegation keys.
//   host account    the Functions host and Durable Functions: blobs (Blob Data Owner, as the host and
//                   Flex deployment need), queues and tables of the task hub.
//   App Insights    Monitoring Metrics Publisher, to send telemetry with Entra authentication.
//   Key Vault       Key Vault Secrets User, to resolve the secret reference (appRegistrationSecret only).
// A person (the deployer, with main.bicep's grantDeployerDataAccess; off by default) gets the same storage
// data roles, to run the CLI against Azure, and Secrets Officer to put the secret in; never the identity's
// Graph permissions. Either is standing read access to all backed-up mail (docs/security.md).
param backupStorageName string
param hostStorageName string
param separateHostStorage bool
param applicationInsightsName string
@description('Empty when no Key Vault is deployed.')
param keyVaultName string
param identityPrincipalId string
@description('Empty (the default, see grantDeployerDataAccess): no roles for a person.')
param userPrincipalId string
param userPrincipalType string

// Built-in role definition ids: learn.microsoft.com/azure/role-based-access-control/built-in-roles
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

var backupRoles = [roles.storageBlobDataContributor, roles.storageTableDataContributor]
var hostRoles = [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]
// One account for both: the host's set, whose Blob Data Owner includes everything Contributor allows.
var backupAccountRoles = separateHostStorage ? backupRoles : hostRoles
var withUser = !empty(userPrincipalId)

resource backupAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: backupStorageName
}

resource hostAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = if (!empty(keyVaultName)) {
  name: keyVaultName
}

resource identityOnBackup 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in backupAccountRoles: {
    scope: backupAccount
    name: guid(backupAccount.id, identityPrincipalId, role)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource identityOnHost 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in (separateHostStorage ? hostRoles : []): {
    scope: hostAccount
    name: guid(hostAccount.id, identityPrincipalId, role)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource identityOnApplicationInsights 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: applicationInsights
  name: guid(applicationInsights.id, identityPrincipalId, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource identityOnVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(keyVaultName)) {
  scope: vault
  name: guid(vault.id, identityPrincipalId, roles.keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource userOnBackup 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in (withUser ? backupAccountRoles : []): {
    scope: backupAccount
    name: guid(backupAccount.id, userPrincipalId, role)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

resource userOnHost 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in (withUser && separateHostStorage ? hostRoles : []): {
    scope: hostAccount
    name: guid(hostAccount.id, userPrincipalId, role)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

resource userOnVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withUser && !empty(keyVaultName)) {
  scope: vault
  name: guid(vault.id, userPrincipalId, roles.keyVaultSecretsOfficer)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}
