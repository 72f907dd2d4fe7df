import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
  ValidateBy,
  ValidateIf,
  type ValidationError,
} from 'class-validator';
import { Invalid } from './errors';
import { OBJECT_ID_RE } from './ids';

/** Largest message body accepted, in characters: a contract with clients, like the field names. */
export const MAX_CONTENT_LENGTH = 4000;
export const MAX_PAGE_SIZE = 100;

const ID_MESSAGE = '$property must be a 24-character hex id';
const CLIENT_MSG_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Longest reaction emoji, in UTF-16 code units (a family emoji with joiners takes 11). */
export const MAX_EMOJI_LENGTH = 16;

/** A reaction's emoji: 1..MAX_EMOJI_LENGTH code units, no white space, control characters or lone surrogates. */
export function isReactionEmoji(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= MAX_EMOJI_LENGTH && !/[\s\p{Cc}\p{Cs}]/u.test(v);
}

const IsReactionEmoji = () =>
  ValidateBy({
    name: 'isReactionEmoji',
    validator: {
      validate: (v: unknown) => isReactionEmoji(v),
      defaultMessage: () => `$property must be 1-${MAX_EMOJI_LENGTH} characters, without spaces or control characters`,
    },
  });

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value);

export class CreateConversationDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) user1!: string;
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) user2!: string;
}

export class JoinRoomDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) participantId!: string;
}

export class SendMessageDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) receiverId!: string;
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) roomId!: string;
  @IsString() @IsNotEmpty() @MaxLength(MAX_CONTENT_LENGTH) content!: string;
  @IsOptional()
  @IsString()
  @Matches(CLIENT_MSG_ID_RE, { message: '$property must be 1-64 characters of [A-Za-z0-9_.:-]' })
  clientMsgId?: string;
  /** The message of the same room this one answers. */
  @IsOptional() @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) replyToId?: string;
}

/** REST body: the seed sent senderId too; it must equal the token's user. */
export class RestSendMessageDto extends SendMessageDto {
  @IsOptional() @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) senderId?: string;
}

export class UserIdParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) userId!: string;
}

export class RoomIdParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) roomId!: string;
}

export class HistoryQueryDto {
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) before?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) after?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @IsOptional() @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) userId?: string;
}

export class PageQueryDto {
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(100_000) offset?: number;
}

export class UserQueryDto {
  @IsOptional() @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) userId?: string;
}

export class MessageIdDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) messageId!: string;
}

/** Socket `edit_message`. */
export class EditMessageDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) messageId!: string;
  @IsString() @IsNotEmpty() @MaxLength(MAX_CONTENT_LENGTH) newContent!: string;
}

/** REST `PUT /chat/message/:messageId`: the seed sent senderId, which must be the token's user. */
export class RestEditMessageDto {
  @IsOptional() @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) senderId?: string;
  @IsString() @IsNotEmpty() @MaxLength(MAX_CONTENT_LENGTH) content!: string;
}

/** Socket `react_message`: set (`on: true`) or take back one's reaction with `emoji`. */
export class ReactMessageDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) messageId!: string;
  @IsReactionEmoji() emoji!: string;
  @IsBoolean() on!: boolean;
}

/** REST `POST /chat/message/:messageId/reactions`. */
export class ReactionBodyDto {
  @IsReactionEmoji() emoji!: string;
}

/** REST `DELETE /chat/message/:messageId/reactions/:emoji`. */
export class ReactionParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) messageId!: string;
  @IsReactionEmoji() emoji!: string;
}

export class DeleteMessageParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) messageId!: string;
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) requesterId!: string;
}

export const MAX_RECEIPT_BATCH = 500;

export class MessagesDeliveredDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RECEIPT_BATCH)
  @Matches(OBJECT_ID_RE, { each: true, message: 'each of $property must be a 24-character hex id' })
  messageIds!: string[];
}

export class RoomReadParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) roomId!: string;
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) userId!: string;
}

export const MAX_GROUP_NAME = 100;
/** Mentions per message (FerretDB indexes the list as one value: it must stay well under PostgreSQL's btree row limit). */
export const MAX_MENTIONS = 50;

export class CreateGroupDto {
  @IsString() @IsNotEmpty() @MaxLength(MAX_GROUP_NAME) name!: string;
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(OBJECT_ID_RE, { each: true, message: 'each of $property must be a 24-character hex id' })
  memberIds!: string[];
}

export class RenameGroupDto {
  @IsString() @IsNotEmpty() @MaxLength(MAX_GROUP_NAME) name!: string;
}

export class GroupMembersDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @Matches(OBJECT_ID_RE, { each: true, message: 'each of $property must be a 24-character hex id' })
  userIds!: string[];
}

export class GroupIdParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) groupId!: string;
}

export class GroupMessageParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) groupId!: string;
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) messageId!: string;
}

export class GroupMemberParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) groupId!: string;
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) userId!: string;
}

export class InviteDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) userId!: string;
}

export class InviteIdParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) inviteId!: string;
}

export class RespondInviteDto {
  @IsBoolean() accept!: boolean;
}

export class GroupMessageDto {
  @IsString() @IsNotEmpty() @MaxLength(MAX_CONTENT_LENGTH) content!: string;
  @IsOptional()
  @IsString()
  @Matches(CLIENT_MSG_ID_RE, { message: '$property must be 1-64 characters of [A-Za-z0-9_.:-]' })
  clientMsgId?: string;
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_MENTIONS)
  @Matches(OBJECT_ID_RE, { each: true, message: 'each of $property must be a 24-character hex id' })
  mentions?: string[];
  @IsOptional() @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) replyToId?: string;
}

/** Socket `send_group_message`. */
export class SocketGroupMessageDto extends GroupMessageDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) groupId!: string;
}

/** Socket `typing`: the sender starts (true) or stops (false) typing in a room. */
export class TypingDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) roomId!: string;
  @IsBoolean() isTyping!: boolean;
}

/** Most users one presence query may name. */
export const MAX_PRESENCE_IDS = 100;

/** `GET /chat/presence?userIds=a,b`: up to MAX_PRESENCE_IDS ids, comma-separated. */
export class PresenceQueryDto {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PRESENCE_IDS, { message: `$property must name at most ${MAX_PRESENCE_IDS} users` })
  @Matches(OBJECT_ID_RE, { each: true, message: 'each of $property must be a 24-character hex id' })
  userIds!: string[];
}

/** Search: the query's length in characters, the most words it may hold, the largest page. */
export const SEARCH_QUERY_MIN = 2;
export const SEARCH_QUERY_MAX = 200;
export const SEARCH_MAX_WORDS = 10;
export const SEARCH_PAGE_MAX = 50;
/** A search cursor (`nextBefore`): the last result's time in ms and its id. */
export const SEARCH_CURSOR_RE = /^\d{1,15}\.[0-9a-f]{24}$/;

/** `GET /chat/search`: words to find in your rooms (or one room), newest first, paged with `before`. */
export class SearchQueryDto {
  @IsString()
  @MinLength(SEARCH_QUERY_MIN)
  @MaxLength(SEARCH_QUERY_MAX)
  q!: string;
  @IsOptional() @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) roomId?: string;
  @IsOptional() @Matches(SEARCH_CURSOR_RE, { message: '$property must be a nextBefore value from an earlier page' }) before?: string;
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(SEARCH_PAGE_MAX) limit?: number;
}

/** Who may put the user in a group without asking: everyone, only contacts (the default), or nobody (always an invite). */
export const GROUP_ADDS = ['contacts', 'everyone', 'nobody'] as const;
export type GroupAdds = (typeof GROUP_ADDS)[number];

/** `PATCH /chat/me/settings`: the fields given are changed, the others kept. */
export class UserSettingsDto {
  @IsOptional() @IsBoolean() showPresence?: boolean;
  @IsOptional() @IsIn(GROUP_ADDS, { message: `$property must be one of ${GROUP_ADDS.join(', ')}` }) groupAdds?: GroupAdds;
  // absent is allowed, null is not (it would be stored as the setting)
  @ValidateIf((_o, v) => v !== undefined) @IsBoolean() pushPreview?: boolean;
}

/** `POST /chat/rooms/:roomId/pins`. */
export class PinMessageDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) messageId!: string;
}

export class RoomMessageParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) roomId!: string;
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) messageId!: string;
}

/** `PATCH /chat/rooms/:roomId/settings`: mute (until a future ISO time, or until unmuted) or unmute. */
export class RoomSettingsDto {
  @IsBoolean() muted!: boolean;
  @IsOptional() @IsISO8601({ strict: true }, { message: '$property must be an ISO 8601 date-time' }) until?: string;
}

/** `POST /chat/blocks`: the user to block. */
export class BlockUserDto {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) userId!: string;
}

/** Longest reason a report may give, in characters. */
export const MAX_REPORT_REASON = 500;

/** `POST /chat/message/:messageId/report`. */
export class ReportMessageDto {
  @IsString() @IsNotEmpty() @MaxLength(MAX_REPORT_REASON) reason!: string;
}

/** `/admin/api/reports/:reportId/...`. */
export class ReportIdParams {
  @Matches(OBJECT_ID_RE, { message: ID_MESSAGE }) reportId!: string;
}

/** An empty body or query: nothing may be sent. */
export class EmptyDto {}

function flatten(errors: ValidationError[], prefix = ''): Array<{ field: string; problems: string[] }> {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

type Ctor<T> = new () => T;

/**
 * Turns untrusted input into a validated DTO or throws Invalid listing every problem.
 * Only plain objects pass; unknown fields (including `$where`-style operators) are refused.
 */
export function parseDto<T extends object>(cls: Ctor<T>, input: unknown, what = 'body'): T {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new Invalid(`${what} must be a JSON object`);
  }
  for (const key of Object.keys(input)) {
    if (key.startsWith('$') || key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new Invalid(`${what} has a forbidden field name`, [{ field: key, problems: ['forbidden field name'] }]);
    }
  }
  const dto = plainToInstance(cls, input, { enableImplicitConversion: false });
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new Invalid(`${what} is invalid`, flatten(errors));
  return dto;
}
