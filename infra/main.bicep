// The mailbox backup on Azure: a Flex Consumption Function App signing in to Microsoft Graph and to
// Storage as its user-assigned managed identity, so no secret or account key exists anywhere unless the
// app-registration alternative is chosen (graphAuth). `azd up` deploys this file; docs/deploying.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; with the subscription and location it seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource. It must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deployer; given data roles only with grantDeployerDataAccess.')
param principalId string = deployer().objectId

@allowed(['User', 'ServicePrincipal'])
@description('Kind of principal principalId is (ServicePrincipal when a pipeline deploys).')
param principalType string = 'User'

// Storage data roles on the backup are read access to every backed-up message, and Secrets Officer on the
// vault is the Graph secret that reads every mailbox: nobody keeps either unless asked (docs/security.md).
@description('Give the deployer the storage data roles on the backup and host accounts (to run the CLI against Azure) and Secrets Officer on the Key Vault. Removing it later needs az role assignment delete: a deployment adds, never removes.')
param grantDeployerDataAccess bool = false

// ---- Graph ----

@allowed(['managedIdentity', 'appRegistrationSecret'])
@description('managedIdentity: the app signs in to Graph as its managed identity (no secret). appRegistrationSecret: as an app registration whose client secret lives in Key Vault.')
param graphAuth string = 'managedIdentity'

@description('Grant the Graph application permissions to the managed identity in this deployment (needs a deployer who may grant app roles, e.g. Privileged Role Administrator). False: an administrator grants them with the commands in docs/deploying.md.')
param grantGraphPermissions bool = true

@description('Restores write into mailboxes: sets RESTORE_ENABLED and adds Mail.ReadWrite to the grant. Off, the identity can only read.')
param enableRestore bool = false

@description('RESTORE_ALLOWED_TARGETS: mailboxes (UPNs or object ids, comma-separated) restores may write into. Empty: any.')
param restoreAllowedTargets string = ''

// ---- Who may call the management endpoints (docs/security.md) ----

@description('Client id of an existing Entra ID app registration with the MailBackup.* app roles. Empty: this deployment creates one (needs Application Developer or Cloud Application Administrator).')
param managementApiClientId string = ''

@description('appRegistrationSecret only: Application (client) id of the app registration.')
param exchangeClientId string = ''

@description('appRegistrationSecret only: the tenant of the app registration and the mailboxes.')
param exchangeTenantId string = tenant().tenantId

// The managed identity gets its tokens from this cloud, so Graph must be the same cloud's
// (docs/graph-behaviour.md, "Tokens and national clouds").
// US Government DoD tenants override graphEndpoint with https://dod-graph.microsoft.us.
@description('Entra ID authority host for Graph tokens (the code keeps only its origin, so the trailing slash is harmless).')
param authorityHost string = environment().authentication.loginEndpoint

@description('Microsoft Graph root for this cloud.')
param graphEndpoint string = environment().name == 'AzureUSGovernment' ? 'https://graph.microsoft.us' : (environment().name == 'AzureChinaCloud' ? 'https://microsoftgraph.chinacloudapi.cn' : 'https://graph.microsoft.com')

// ---- Schedules and engine (app settings the code reads; NCRONTAB, six fields, UTC) ----

@description('Nightly incremental backup.')
param incrementalSchedule string = '0 0 2 * * *'

@description('Weekly full backup (re-reads every folder and reconciles the index).')
param fullSchedule string = '0 0 3 * * 0'

@description('Weekly verification of a sample of stored content.')
param verifySchedule string = '0 0 4 * * 6'

@description('Weekly retention cleanup, after the full backup.')
param cleanupSchedule string = '0 0 5 * * 0'

@minValue(0)
@maxValue(36500)
@description('Days the backup keeps deleted messages, superseded versions and run history; 0 keeps everything.')
param retentionDays int = 0

@description('Mailboxes backed up at the same time across the tenant (W); docs/capacity.md.')
@minValue(1)
@maxValue(1000)
param parallelMailboxes int = 64

// An activity must hand back its continuation before host.json's functionTimeout (30 minutes) ends it.
@minValue(1)
@maxValue(25)
param sliceMinutes int = 20

@allowed(['both', 'eml', 'json'])
param backupFormat string = 'both'

@description('Fraction of content blobs the verification re-reads and re-hashes, 0 to 1.')
param verifySample string = '0.05'

@description('Durable Functions task hub: letters and digits; unique per app when apps share a storage account.')
param taskHubName string = 'mailbackup'

@description('Most instances Flex Consumption may scale out to. Graph throttles per tenant, so more rarely helps.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 20

// ---- Storage ----

@description('Put the Functions host and the Durable task hub in an account of their own, away from the backup (keeps versioning and lifecycle off the host\'s busy blobs, and Blob Data Owner off the backup).')
param separateHostStorage bool = true

@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
@description('Redundancy of the backup account. GRS/GZRS keep a copy in the paired region.')
param backupStorageSku string = 'Standard_LRS'

param backupContainerName string = 'mailbackup'

param backupTablePrefix string = 'mailbackup'

@minValue(1)
@description('Content and attachments move to the Cool tier this many days after they were written.')
param coolAfterDays int = 30

@minValue(2)
@description('... and to the Cold tier this many days after they were written (more than coolAfterDays).')
param coldAfterDays int = 90

@minValue(1)
@maxValue(365)
@description('Deleted blobs and containers stay restorable this many days.')
param softDeleteDays int = 14

@minValue(1)
@description('Previous blob versions (an overwritten or deleted blob) are deleted this many days after they became previous.')
param previousVersionDays int = 30

@minValue(0)
@maxValue(146000)
@description('0: no immutability policy. Otherwise, days every blob version in the backup container stays undeletable (WORM). Read docs/deploying.md before setting it: once locked it cannot be undone.')
param immutabilityDays int = 0

@description('The backup account reachable only from the app\'s virtual network, through private endpoints (needs separateHostStorage; the CLI then cannot reach it from outside). docs/security.md, "Network".')
param privateBackupStorage bool = false

// ---- Monitoring ----

@description('Address that is e-mailed when a run or restore ends failed or partial, or a mailbox goes stale. Empty: the alerts show in the portal only.')
param alertEmail string = ''

// The alert reads two days of summary lines (alerts.bicep), so a mailbox goes stale within them.
@minValue(1)
@maxValue(47)
@description('Hours without a succeeded backup of a mailbox before an alert fires (a nightly backup plus two hours).')
param backupStaleHours int = 26

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var backupStorageName = '${abbrs.storageStorageAccounts}bak${resourceToken}'
var hostStorageName = separateHostStorage ? '${abbrs.storageStorageAccounts}host${resourceToken}' : backupStorageName
var useSecret = graphAuth == 'appRegistrationSecret'
var graphAppRoles = enableRestore ? ['User.Read.All', 'Mail.Read', 'Mail.ReadWrite'] : ['User.Read.All', 'Mail.Read']
var privateBackup = privateBackupStorage && separateHostStorage

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module backupStorage 'app/backup-storage.bicep' = {
  name: 'backupStorage'
  scope: rg
  params: {
    name: backupStorageName
    location: location
    tags: tags
    sku: backupStorageSku
    containerName: backupContainerName
    coolAfterDays: coolAfterDays
    coldAfterDays: coldAfterDays
    softDeleteDays: softDeleteDays
    previousVersionDays: previousVersionDays
    immutabilityDays: immutabilityDays
    deploymentContainerName: separateHostStorage ? '' : deploymentContainerName
    publicNetworkAccess: !privateBackup
  }
}

module network 'app/network.bicep' = if (privateBackup) {
  name: 'network'
  scope: rg
  params: {
    name: resourceToken
    location: location
    tags: tags
    backupStorageName: backupStorage.outputs.name
  }
}

module apiAuth 'app/api-auth.bicep' = if (empty(managementApiClientId)) {
  name: 'apiAuth'
  scope: rg
  params: {
    uniqueName: 'mailbackup-api-${resourceToken}'
    displayName: 'Mail backup management API (${environmentName})'
  }
}

module hostStorage 'app/host-storage.bicep' = if (separateHostStorage) {
  name: 'hostStorage'
  scope: rg
  params: {
    name: hostStorageName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    actionGroupName: '${abbrs.insightsActionGroups}${resourceToken}'
    alertName: '${abbrs.insightsScheduledQueryRules}backup-run-${resourceToken}'
    staleAlertName: '${abbrs.insightsScheduledQueryRules}backup-stale-${resourceToken}'
    restoreAlertName: '${abbrs.insightsScheduledQueryRules}restore-${resourceToken}'
    backupStaleHours: backupStaleHours
    workbookName: '${abbrs.insightsWorkbooks}${resourceToken}'
    alertEmail: alertEmail
    location: location
    tags: tags
  }
}

module keyVault 'app/keyvault.bicep' = if (useSecret) {
  name: 'keyVault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    backupStorageName: backupStorage.outputs.name
    hostStorageName: separateHostStorage ? hostStorage!.outputs.name : backupStorage.outputs.name
    separateHostStorage: separateHostStorage
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: useSecret ? keyVault!.outputs.name : ''
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: grantDeployerDataAccess ? principalId : ''
    userPrincipalType: principalType
  }
}

module graphPermissions 'app/graph-permissions.bicep' = if (grantGraphPermissions && !useSecret) {
  name: 'graphPermissions'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    appRoles: graphAppRoles
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    hostStorageName: hostStorageName
    deploymentContainerName: deploymentContainerName
    maximumInstanceCount: maximumInstanceCount
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    backupStorageName: backupStorage.outputs.name
    keyVaultUri: useSecret ? keyVault!.outputs.uri : ''
    managementClientId: empty(managementApiClientId) ? apiAuth!.outputs.clientId : managementApiClientId
    virtualNetworkSubnetId: privateBackup ? network!.outputs.appSubnetId : ''
    appSettings: {
      TASKHUB_NAME: taskHubName
      BACKUP_INCREMENTAL_SCHEDULE: incrementalSchedule
      BACKUP_FULL_SCHEDULE: fullSchedule
      VERIFY_SCHEDULE: verifySchedule
      CLEANUP_SCHEDULE: cleanupSchedule
      RETENTION_DAYS: string(retentionDays)
      BACKUP_PARALLEL_MAILBOXES: string(parallelMailboxes)
      BACKUP_SLICE_MINUTES: string(sliceMinutes)
      BACKUP_FORMAT: backupFormat
      VERIFY_SAMPLE: verifySample
      RESTORE_ENABLED: string(enableRestore)
      RESTORE_ALLOWED_TARGETS: restoreAllowedTargets
      AZURE_AUTHORITY_HOST: authorityHost
      GRAPH_ENDPOINT: graphEndpoint
      BACKUP_TABLE_PREFIX: backupTablePrefix
      BACKUP_CONTAINER: backupContainerName
    }
    exchangeTenantId: useSecret ? exchangeTenantId : ''
    exchangeClientId: useSecret ? exchangeClientId : ''
  }
  // The host starts as soon as the site exists: its identity must already hold its storage roles.
  dependsOn: [rbac]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output BACKUP_STORAGE_ACCOUNT string = backupStorage.outputs.name
output BACKUP_STORAGE__blobServiceUri string = backupStorage.outputs.blobEndpoint
output BACKUP_STORAGE__tableServiceUri string = backupStorage.outputs.tableEndpoint
output KEY_VAULT_NAME string = useSecret ? keyVault!.outputs.name : ''
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
// Not named MANAGEMENT_API_CLIENT_ID: azd would feed it back as managementApiClientId and stop updating the registration.
output MANAGEMENT_API_APP_ID string = empty(managementApiClientId) ? apiAuth!.outputs.clientId : managementApiClientId
