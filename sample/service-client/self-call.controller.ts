import { BadGatewayException, Controller, Get } from '@nestjs/common';
import { DpopClientError, DpopHttpClient } from '../../lib/client/index.js';
import { SampleConfig } from '../sample.config.js';

/**
 * GET /service/self-call: the sample as a service calling a DPoP-protected
 * API — its own /api/me — as demo-service, through DpopHttpClient (token
 * from /token, cached; a fresh proof per call; nonces handled).
 */
@Controller('service')
export class SelfCallController {
  constructor(
    private readonly client: DpopHttpClient,
    private readonly config: SampleConfig,
  ) {}

  @Get('self-call')
  async selfCall() {
    try {
      const response = await this.client.fetch(`${this.config.issuer}/api/me`);
      return { status: response.status, jkt: this.client.jkt, me: await response.json() };
    } catch (error) {
      if (error instanceof DpopClientError)
        throw new BadGatewayException({ error: error.code, message: error.message });
      throw error;
    }
  }
}
