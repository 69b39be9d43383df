/**
 * The methods KEMI gives a `KSR.is_<METHOD>()` test for. modules/core declares the tests and
 * the isolated placement treats them as pure reads: both take the list from here.
 */
export const KEMI_METHOD_TESTS = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'REGISTER',
  'OPTIONS',
  'SUBSCRIBE',
  'PUBLISH',
  'NOTIFY',
  'REFER',
  'INFO',
  'UPDATE',
  'PRACK',
  'MESSAGE',
  'KDMQ',
  'GET',
  'POST',
  'PUT',
  'DELETE',
] as const;
