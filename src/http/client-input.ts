import type { IncomingHttpHeaders } from 'node:http';
import type { ClientAuthInput } from '../auth/client-auth.js';
import { single, type FormFields } from '../exchange/request.js';

/** The client credentials of a request, from the Authorization header and the form. */
export function clientInputFromForm(
  headers: IncomingHttpHeaders,
  form: FormFields,
): ClientAuthInput {
  return {
    authorization: headers.authorization,
    clientId: single(form, 'client_id'),
    clientSecret: single(form, 'client_secret'),
    clientAssertion: single(form, 'client_assertion'),
    clientAssertionType: single(form, 'client_assertion_type'),
  };
}
