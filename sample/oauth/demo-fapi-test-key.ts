import type { JWK } from 'jose';

/**
 * The key pair of the sample client `demo-fapi` (`private_key_jwt`). TEST KEY ONLY: the
 * private half is published here, in the repository and the README, so that the tests
 * and anyone trying the sample can sign client assertions. Never register it anywhere real.
 */
export const DEMO_FAPI_PUBLIC_JWK: JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'cdtbeM8v2BQf2iREVdUD6zvJQ88sTppxxgTQaIa84d4',
  y: 'U63-MyMjRc-3zatjl4dtBOQb2H_fzuTvNGt3FJSi4AM',
  kid: 'MXSgqEnMFMWeyku_60FYpq5jDCOxN2NAHnSHaKkBaGQ',
  alg: 'ES256',
  use: 'sig',
};

/** TEST PRIVATE KEY of `demo-fapi`, public knowledge (see above). */
export const DEMO_FAPI_TEST_PRIVATE_JWK: JWK = {
  ...DEMO_FAPI_PUBLIC_JWK,
  d: '6IfWAopniiKyVwzOGZaXuBzZdO9NvIJcSz6DvyHMwtc',
  use: undefined,
};
