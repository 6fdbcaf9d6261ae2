import { Query, Resolver } from '@nestjs/graphql';
import { Dpop, DpopBound, DpopContext } from '../../lib/index.js';
import { SampleConfig } from '../sample.config.js';
import { MeModel } from './me.model.js';

/** `POST /graphql` (and `GET` for queries): `me` needs a DPoP-bound token and a proof; `issuer` is public. */
@Resolver()
export class MeResolver {
  constructor(private readonly config: SampleConfig) {}

  @Query(() => MeModel)
  @DpopBound()
  me(@Dpop() dpop: DpopContext): MeModel {
    const claim = (value: unknown) => (typeof value === 'string' ? value : undefined);
    return {
      sub: String(dpop.token.sub),
      client_id: claim(dpop.token.client_id),
      scope: claim(dpop.token.scope),
      jkt: dpop.jkt,
    };
  }

  @Query(() => String, { description: 'Public: the issuer, no credentials needed.' })
  issuer(): string {
    return this.config.issuer;
  }
}
