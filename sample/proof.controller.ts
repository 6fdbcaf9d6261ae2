import { Controller, Get, Headers, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DpopProofError, DpopVerifierService } from '../lib/index.js';

/**
 * Checks the `DPoP` header of a request with the verifier and answers with
 * the proof key's thumbprint. (The guard and token endpoint come later.)
 */
@Controller()
export class ProofController {
  constructor(private readonly verifier: DpopVerifierService) {}

  @Get('health')
  health() {
    return { status: 'ok', algorithms: this.verifier.algorithms };
  }

  @Post('proof')
  @HttpCode(200)
  async check(
    @Headers('dpop') proof: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const url = `${process.env.PUBLIC_URL ?? `${req.protocol}://${req.get('host')}`}${req.originalUrl}`;
    try {
      const { jkt, claims } = await this.verifier.verify(proof, { method: req.method, url });
      return { jkt, jti: claims.jti };
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      if (error.nonce) res.setHeader('DPoP-Nonce', error.nonce);
      res.setHeader('WWW-Authenticate', `DPoP error="${error.code}", algs="${this.verifier.algorithms.join(' ')}"`);
      throw new UnauthorizedException({ error: error.code, error_description: error.message });
    }
  }
}
