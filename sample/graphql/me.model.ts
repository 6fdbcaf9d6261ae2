import { Field, ObjectType } from '@nestjs/graphql';

/** What `me` answers: the same members as `GET /api/me`. */
@ObjectType('Me')
export class MeModel {
  @Field(() => String) sub!: string;
  @Field(() => String, { nullable: true }) client_id?: string;
  @Field(() => String, { nullable: true }) scope?: string;
  @Field(() => String, { nullable: true }) jkt?: string;
}
