// The webhook client both b24jssdk scripts use: the npm client @bitrix24/b24jssdk, unchanged, for the
// webhook URL given as the first argument, and `call` for one method that must succeed.
import { B24Hook } from '@bitrix24/b24jssdk'

export const b24 = B24Hook.fromWebhookUrl(process.argv[2].replace(/\/$/, ''))
b24.offClientSideWarning()

export function check (condition, message) {
  if (!condition) throw new Error(message)
}

export async function call (method, params = {}) {
  const response = await b24.actions.v2.call.make({ method, params })
  check(response.isSuccess, `${method}: ${response.getErrorMessages().join('; ')}`)
  return response.getData().result
}
