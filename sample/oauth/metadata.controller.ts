import { Controller, Get } from '@nestjs/common';
import { DpopVerifierService } from '../../lib/index.js';
import { SampleConfig } from '../sample.config.js';
import { FAPI_ALGORITHMS } from './clients.js';
import { KeysService } from './keys.service.js';

/** RFC 8414 metadata (also served as OpenID configuration) and the JWK set. */
@Controller()
export class MetadataController {
  constructor(
    private readonly config: SampleConfig,
    private readonly keys: KeysService,
    private readonly dpop: DpopVerifierService,
  ) {}

  @Get(['.well-known/oauth-authorization-server', '.well-known/openid-configuration'])
  metadata() {
    const issuer = this.config.issuer;
    return {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      pushed_authorization_request_endpoint: `${issuer}/par`,
      require_pushed_authorization_requests: false, // per client: demo-fapi must use PAR
      jwks_uri: `${issuer}/jwks`,
      introspection_endpoint: `${issuer}/introspect`,
      response_types_supported: [
        'code',
        'token',
        'id_token',
        'code id_token',
        'id_token token',
        'code token',
        'code id_token token',
        'x_post id_token',
        'x_post token',
        'x_post code id_token',
        'x_post id_token token',
      ],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'implicit'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: FAPI_ALGORITHMS,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      dpop_signing_alg_values_supported: this.dpop.algorithms,
      id_token_signing_alg_values_supported: ['ES256'],
      subject_types_supported: ['public'],
      scopes_supported: ['openid', 'profile', 'api'],
      authorization_response_iss_parameter_supported: true,
    };
  }

  @Get('jwks')
  jwks() {
    return { keys: [this.keys.publicJwk] };
  }
}
