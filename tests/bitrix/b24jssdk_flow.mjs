// The npm client @bitrix24/b24jssdk, unchanged, against a live Kontor over https (its B24Hook insists on
// https): CRUD, list paging past 50 rows (callList and fetchList, the keyset "fast" paging), batch with
// $result references, an activity with START_TIME/END_TIME/COMMUNICATIONS, and an error.
// Run by tests/bitrix/test_b24jssdk.py: `node b24jssdk_flow.mjs https://127.0.0.1:PORT/rest/ID/SECRET/`.
// Prints one JSON line of findings on stdout; exits 1 with the failure on stderr.
import { b24, call, check } from './b24jssdk_client.mjs'

const out = {}

// CRUD on a deal.
const dealId = Number(await call('crm.deal.add', { fields: { TITLE: 'JS SDK deal', OPPORTUNITY: 1500, CURRENCY_ID: 'EUR' } }))
check(dealId > 0, 'crm.deal.add gave no id')
const deal = await call('crm.deal.get', { id: dealId })
check(deal.TITLE === 'JS SDK deal' && deal.OPPORTUNITY === '1500.00', `crm.deal.get: ${JSON.stringify(deal)}`)
check(await call('crm.deal.update', { id: dealId, fields: { TITLE: 'JS SDK deal (renamed)' } }) === true, 'update')
out.renamed = (await call('crm.deal.get', { id: dealId })).TITLE

// 60 contacts through batch (50 commands, then 10), with a $result reference in the first batch.
const first = await b24.actions.v2.batch.make({
  calls: {
    company: { method: 'crm.company.add', params: { fields: { TITLE: 'JS SDK GmbH' } } },
    contact: { method: 'crm.contact.add', params: { fields: { NAME: 'Referenced', COMPANY_ID: '$result[company]' } } },
    read: { method: 'crm.contact.get', params: { id: '$result[contact]' } }
  },
  options: { isHaltOnError: true }
})
check(first.isSuccess, `batch: ${first.getErrorMessages().join('; ')}`)
const named = first.getData()
out.referencedCompany = named.read.COMPANY_ID === String(named.company)
const calls = []
for (let i = 0; i < 60; i++) {
  calls.push(['crm.contact.add', { fields: { NAME: `Paged ${String(i).padStart(2, '0')}`, LAST_NAME: 'JsSdk' } }])
}
const added = await b24.actions.v2.batchByChunk.make({ calls, options: { isHaltOnError: true } })
check(added.isSuccess, `batchByChunk: ${added.getErrorMessages().join('; ')}`)
out.batchAdded = added.getData().length

// Paging past 50: callList (all at once) and fetchList (chunks), both keyset by ID.
const all = await b24.actions.v2.callList.make({ method: 'crm.contact.list', params: { filter: { LAST_NAME: 'JsSdk' }, select: ['ID', 'NAME'] }, idKey: 'ID' })
check(all.isSuccess, `callList: ${all.getErrorMessages().join('; ')}`)
out.callList = all.getData().length
const chunks = []
for await (const chunk of b24.actions.v2.fetchList.make({ method: 'crm.contact.list', params: { filter: { LAST_NAME: 'JsSdk' }, select: ['ID'] }, idKey: 'ID' })) {
  chunks.push(chunk.length)
}
out.fetchListChunks = chunks
// Classic paging with start/next: the second page.
const page = await b24.actions.v2.call.make({ method: 'crm.contact.list', params: { filter: { LAST_NAME: 'JsSdk' }, order: { ID: 'ASC' }, start: 50 } })
out.secondPage = page.getData().result.length
out.total = page.getTotal()

// An activity keeps its start, end and the caller's number.
const contactId = Number(named.contact)
const activityId = Number(await call('crm.activity.add', {
  fields: {
    OWNER_TYPE_ID: 3, OWNER_ID: contactId, TYPE_ID: 2, SUBJECT: 'Call from JS', DIRECTION: 1,
    START_TIME: '2030-05-01T10:00:00+00:00', END_TIME: '2030-05-01T10:05:00+00:00',
    COMMUNICATIONS: [{ VALUE: '+79001234567', TYPE: 'PHONE', ENTITY_TYPE_ID: 3, ENTITY_ID: contactId }]
  }
}))
const activity = await call('crm.activity.get', { id: activityId })
out.activityTimes = [Date.parse(activity.START_TIME), Date.parse(activity.END_TIME)]
out.activityPhone = activity.COMMUNICATIONS[0].VALUE

// An error comes back as an error, not a success.
const missing = await b24.actions.v2.call.make({ method: 'crm.deal.get', params: { id: 999999999 } }).catch((error) => error)
out.errorSeen = missing instanceof Error || (missing && missing.isSuccess === false)

check(await call('crm.deal.delete', { id: dealId }) === true, 'delete')
process.stdout.write(JSON.stringify(out) + '\n')
