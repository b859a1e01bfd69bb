// Watching the runs: an alert when a run ends failed or partial, and a workbook charting runs, messages,
// bytes, failed mailboxes and throttling. Both read the one-line summaries the app logs as Application
// Insights traces: "mailbackup.run <json>" per run and "mailbackup.mailbox <json>" per mailbox.
param applicationInsightsName string
param actionGroupName string
param alertName string
param workbookName string
@description('Empty: no action group; the alert still shows in the portal.')
param alertEmail string
param location string
param tags object

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'mailbackup'
    enabled: true
    emailReceivers: [
      {
        name: 'backup-administrator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// A run logs its summary once, when it ends, so each failed or partial run is counted in exactly one
// 15-minute window and mails once; runId, type and status are dimensions, so the mail says which run.
var failedRunsQuery = '''
traces
| where message startswith "mailbackup.run "
| extend run = parse_json(substring(message, 15))
| where tostring(run.status) in ("failed", "partial")
| project timestamp, runId = tostring(run.runId), type = tostring(run.type), status = tostring(run.status),
    mailboxesFailed = toint(run.mailboxesFailed), messagesFailed = toint(run.messagesFailed)
'''

resource failedRunAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: alertName
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Mailbox backup run failed or partial'
    description: 'A backup, verification or restore run ended failed or partial. Open the workbook, or the mailboxruns table, for the mailboxes and their reasons.'
    severity: 2
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: failedRunsQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            { name: 'runId', operator: 'Include', values: ['*'] }
            { name: 'type', operator: 'Include', values: ['*'] }
            { name: 'status', operator: 'Include', values: ['*'] }
          ]
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: false
    actions: { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
  }
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, workbookName)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Mailbox backup runs'
    category: 'workbook'
    sourceId: toLower(applicationInsights.id)
    serializedData: loadTextContent('../workbook.json')
  }
}
