// Watching the runs (docs/operations.md): alerts when a run ends failed or partial, when a mailbox has had
// no succeeded backup for backupStaleHours, and when a restore fails; and a workbook charting runs,
// messages, bytes, failed mailboxes, throttling and each mailbox's last successful backup. All read the
// one-line summaries the app logs as Application Insights traces: "mailbackup.run <json>" per run,
// "mailbackup.mailbox <json>" per mailbox and "mailbackup.restore <json>" per restore slice.
param applicationInsightsName string
param actionGroupName string
param alertName string
param staleAlertName string
param restoreAlertName string
param workbookName string
@description('Hours without a succeeded backup of a mailbox before the stale-backup alert fires.')
param backupStaleHours int
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
    description: 'A backup or verification run ended failed or partial. Open the workbook, or the mailboxruns table, for the mailboxes and their reasons.'
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

// What no failed-run alert can see: runs that stop happening (a suspended or stuck orchestration, timers
// that keep skipping). Per mailbox seen in the last two days, other than one without an Exchange mailbox
// (skipped): no succeeded summary line for backupStaleHours. Two days of lines (overrideQueryTimeRange)
// cover the default 26 hours with a day to spare; the alert stays fired until someone closes it.
var staleBackupsQuery = '''
traces
| where message startswith "mailbackup.mailbox "
| extend mailbox = parse_json(substring(message, 19))
| extend upn = tostring(mailbox.mailbox), status = tostring(mailbox.status)
| summarize arg_max(timestamp, status), lastSucceeded = maxif(timestamp, status == "succeeded") by upn
| where status != "skipped"
| where isnull(lastSucceeded) or lastSucceeded < ago({staleHours}h)
| project upn, lastStatus = status, lastSucceeded
'''

resource staleBackupAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: staleAlertName
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Mailbox not backed up in ${backupStaleHours} hours'
    description: 'A mailbox has had no succeeded backup for ${backupStaleHours} hours: backups stopped (a suspended or stuck orchestration, skipped timers) or keep failing for it. docs/operations.md says where to look.'
    severity: 1
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    overrideQueryTimeRange: 'P2D'
    criteria: {
      allOf: [
        {
          query: replace(staleBackupsQuery, '{staleHours}', string(backupStaleHours))
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [{ name: 'upn', operator: 'Include', values: ['*'] }]
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: false
    actions: { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
  }
}

// A restore logs its outcome once: its last slice's line, or the orchestration's when it gives up.
var failedRestoresQuery = '''
traces
| where message startswith "mailbackup.restore "
| extend restore = parse_json(substring(message, 19))
| where tostring(restore.status) in ("failed", "partial")
| project timestamp, restoreId = tostring(restore.restoreId), status = tostring(restore.status),
    reason = tostring(restore.reason), target = tostring(restore.target), requestedBy = tostring(restore.requestedBy)
'''

resource failedRestoreAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: restoreAlertName
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Mailbox restore failed or partial'
    description: 'A restore ended failed or partial. GET /api/restores/{restoreId} shows its reason and the messages that failed.'
    severity: 2
    enabled: true
    scopes: [applicationInsights.id]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: failedRestoresQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            { name: 'restoreId', operator: 'Include', values: ['*'] }
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
