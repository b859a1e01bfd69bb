// The one identity the app uses for everything: host storage, backup storage, Application Insights and
// Microsoft Graph. User-assigned, so its roles and Graph grant exist before the app first starts.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output resourceId string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
