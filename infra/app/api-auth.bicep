// The Entra ID app registration the management endpoints are protected with (docs/security.md): the
// audience of the access tokens App Service authentication accepts, and the app roles the code checks in
// the x-ms-client-principal header (src/functions/shared/caller.ts). Creating it needs a deployer who may
// register applications (Application Developer or Cloud Application Administrator); give an existing
// registration's client id in managementApiClientId instead to skip this module.
extension microsoftGraphV1

@description('Unique name of the registration in the tenant; the same name updates it on the next deployment.')
param uniqueName string

param displayName string

// Ids derived from the registration's name: stable across deployments, so assignments keep their role.
var appRoles = [
  {
    value: 'MailBackup.Read'
    displayName: 'Read backup and restore history'
    description: 'GET /api/backups, /api/backups/{runId}, /api/restores/{restoreId} and /api/stats.'
  }
  {
    value: 'MailBackup.Operate'
    displayName: 'Start backups'
    description: 'POST /api/backups, and everything MailBackup.Read allows.'
  }
  {
    value: 'MailBackup.Restore'
    displayName: 'Restore mail into mailboxes'
    description: 'POST /api/restores (writes into mailboxes), and everything MailBackup.Read allows.'
  }
]

// A person's token needs a delegated scope to exist; Azure CLI is pre-authorized for it, so
// `az account get-access-token --resource <client id>` works without a consent prompt (docs/security.md).
var userScopeId = guid(uniqueName, 'user_impersonation')
var azureCliAppId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  api: {
    // v2 access tokens carry the client id as their audience, which is what authsettingsV2 accepts.
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: userScopeId
        value: 'user_impersonation'
        type: 'User'
        adminConsentDisplayName: 'Call the mail backup API as the signed-in user'
        adminConsentDescription: 'Lets the app call the mail backup management API with the roles assigned to the user.'
        userConsentDisplayName: 'Call the mail backup API as you'
        userConsentDescription: 'Lets the app call the mail backup management API with the roles assigned to you.'
        isEnabled: true
      }
    ]
    preAuthorizedApplications: [{ appId: azureCliAppId, delegatedPermissionIds: [userScopeId] }]
  }
  appRoles: [
    for role in appRoles: {
      id: guid(uniqueName, role.value)
      value: role.value
      displayName: role.displayName
      description: role.description
      allowedMemberTypes: ['User', 'Application']
      isEnabled: true
    }
  ]
}

// Assignment required: Entra issues tokens for the API only to users, groups and applications that were
// given one of its roles, so an account of the tenant without a role cannot even sign in to it.
resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: application.appId
  appRoleAssignmentRequired: true
}

output clientId string = application.appId
