// The four integration flows of issue 14 through the npm client @bitrix24/b24jssdk, unchanged, against a
// live Kontor over https: a website form's lead with a junk phone, a PBX call (telephony.externalcall.*),
// a shop order as a deal with product rows (one batch with $result references), and an n8n-style
// connection check and read (app.info, user.current, crm.item.list).
// Run by tests/bitrix/test_b24jssdk.py: `node b24jssdk_flows.mjs https://127.0.0.1:PORT/rest/ID/SECRET/`.
// Prints one JSON line of what the client saw on stdout (the test checks the database); exits 1 with
// the failure on stderr.
import { b24, call, check } from './b24jssdk_client.mjs'

const out = {}

// n8n-style connection check: who am I, is the app there.
const info = await call('app.info')
out.installed = info.INSTALLED
const me = await call('user.current')
out.userId = Number(me.ID)

// A website form: the visitor typed words into the phone field and mangled the e-mail.
out.leadId = Number(await call('crm.lead.add', {
  fields: {
    TITLE: 'Kontaktformular', NAME: 'Erika', SOURCE_ID: 'WEB',
    PHONE: [{ VALUE: 'call me after 5pm', VALUE_TYPE: 'WORK' }],
    EMAIL: [{ VALUE: 'erika(at)example.org', VALUE_TYPE: 'WORK' }]
  }
}))
const lead = await call('crm.lead.get', { id: out.leadId })
out.leadPhone = lead.PHONE[0].VALUE
out.leadEmail = lead.EMAIL[0].VALUE

// A PBX connector: a call from a known number (sent without "+"), finished, with a recording.
out.otherId = Number(await call('crm.contact.add', { fields: { NAME: 'Other', PHONE: [{ VALUE: '+49 30 1111111' }] } }))
out.ivanId = Number(await call('crm.contact.add', { fields: { NAME: 'Ivan', PHONE: [{ VALUE: '+7 900 123-45-67' }] } }))
const reg = await call('telephony.externalcall.register', {
  USER_ID: out.userId, PHONE_NUMBER: '79001234567', TYPE: 2, CALL_START_DATE: '2026-12-05T10:00:00+01:00'
})
out.registered = [reg.CRM_ENTITY_TYPE, Number(reg.CRM_ENTITY_ID)]
const finished = await call('telephony.externalcall.finish', {
  CALL_ID: reg.CALL_ID, USER_ID: out.userId, DURATION: 42, STATUS_CODE: '200'
})
out.callActivityId = Number(finished.CRM_ACTIVITY_ID)
await call('telephony.externalcall.attachRecord', {
  CALL_ID: reg.CALL_ID, FILENAME: 'r.mp3', RECORD_URL: 'https://pbx.example/r.mp3'
})
const onIvan = await call('crm.activity.list', { filter: { OWNER_TYPE_ID: 3, OWNER_ID: out.ivanId }, select: ['ID'] })
out.ivanActivities = onIvan.map((a) => Number(a.ID))

// A shop's order: product, customer, deal and its rows in one batch; the amount follows the rows.
const order = await b24.actions.v2.batch.make({
  calls: {
    product: { method: 'crm.product.add', params: { fields: { NAME: 'Espresso machine', PRICE: 499, CURRENCY_ID: 'EUR' } } },
    contact: { method: 'crm.contact.add', params: { fields: { NAME: 'Ada', EMAIL: [{ VALUE: 'ada@example.org', VALUE_TYPE: 'WORK' }] } } },
    deal: { method: 'crm.deal.add', params: { fields: { TITLE: 'Order 1001', CONTACT_ID: '$result[contact]', CURRENCY_ID: 'EUR' } } },
    rows: {
      method: 'crm.deal.productrows.set',
      params: {
        id: '$result[deal]',
        rows: [
          { PRODUCT_ID: '$result[product]', QUANTITY: 2 },
          { PRODUCT_NAME: 'Shipping', PRICE: 5.9, QUANTITY: 1 }
        ]
      }
    }
  },
  options: { isHaltOnError: true }
})
check(order.isSuccess, `order batch: ${order.getErrorMessages().join('; ')}`)
const placed = order.getData()
out.orderDealId = Number(placed.deal)
out.orderContactId = Number(placed.contact)
out.rowsSet = placed.rows
const orderDeal = await call('crm.deal.get', { id: out.orderDealId })
out.orderAmount = orderDeal.OPPORTUNITY
const rows = await call('crm.deal.productrows.get', { id: out.orderDealId })
out.orderRows = rows.map((r) => [r.PRODUCT_NAME, Number(r.PRICE), Number(r.QUANTITY)])

// n8n-style read of the deals through the universal item methods.
const items = await call('crm.item.list', { entityTypeId: 2, select: ['id', 'title', 'opportunity'] })
out.items = (Array.isArray(items) ? items : items.items).map((i) => [i.id, i.title, i.opportunity])

process.stdout.write(JSON.stringify(out) + '\n')
