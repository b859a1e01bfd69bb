// Microsoft Graph application permissions granted straight to the managed identity's service principal:
// the app then gets app-only Graph tokens from the platform, with no app registration and no secret.
// This is admin consent; the deployer needs a role that may grant app roles (Privileged Role
// Administrator or Global Administrator). docs/deploying.md has the same grant as a command.
extension microsoftGraphV1

@description('Object id of the managed identity\'s service principal.')
param principalId string

@description('Graph application permissions by name, e.g. Mail.Read.')
param appRoles string[]

// Microsoft Graph's application id, the same in every tenant and national cloud.
var graphAppId = '00000003-0000-0000-c000-000000000000'

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

// Looked up by name in Graph's own appRoles rather than hard-coded ids, so a typo fails the deployment.
resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in appRoles: {
    principalId: principalId
    resourceId: graph.id
    appRoleId: filter(graph.appRoles, r => r.value == role)[0].id
  }
]
