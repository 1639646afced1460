/**
 * In-memory state of one test server: agents, conversations, DB messages, runs
 * and steps.
 *
 * Mutations are synchronous and only ever happen inside one `Effect.sync`, so
 * on Node's single thread each request sees a consistent store without locks.
 *
 * Messages carry a global, strictly increasing `seq` (the real server's
 * `sequence_id`); runs and steps carry one too and use it as their `created_at`
 * tie-breaker, so ordering stays total even when the (test) clock stands still.
 */
import * as Ids from "./ids.js"

export type Role = "system" | "user" | "assistant" | "summary" | "approval" | "tool"

/** A content part as stored, already normalised with pydantic defaults. */
export type Part = Readonly<Record<string, unknown>> & { readonly type: string }

/** One call the model asked for (`OpenAIToolCall`): `arguments` exactly as the model wrote them. */
export interface ToolCallRecord {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

/** A `ToolReturn` as stored on a tool message, or on an approval response for a client-side return. */
export interface ToolReturnRecord {
  readonly toolCallId: string
  readonly status: "success" | "error"
  /** what the tool answered: text, or the text and image parts a client sent */
  readonly response: string | ReadonlyArray<Part>
  readonly stdout: ReadonlyArray<string> | null
  readonly stderr: ReadonlyArray<string> | null
}

/** One item of an approval response: a decision on a call, or a client's return for it. */
export type ApprovalItem =
  | {
    readonly type: "approval"
    readonly toolCallId: string
    readonly approve: boolean
    readonly reason: string | null
  }
  | ({ readonly type: "tool" } & ToolReturnRecord)

/** The approval-role message that answers an approval request, with its deprecated single-call fields. */
export interface ApprovalResponse {
  readonly approvals: ReadonlyArray<ApprovalItem>
  readonly approve: boolean | null
  readonly approvalRequestId: string | null
  readonly reason: string | null
}

export interface MessageRecord {
  readonly id: string
  readonly seq: number
  readonly agentId: string
  readonly role: Role
  readonly content: ReadonlyArray<Part>
  readonly otid: string | null
  readonly name: string | null
  readonly senderId: string | null
  readonly groupId: string | null
  readonly stepId: string | null
  readonly runId: string | null
  /** `null` for the agent's default (agent-direct) thread */
  readonly conversationId: string | null
  readonly createdAt: number
  /** an approval request's calls (role `approval`) */
  readonly toolCalls: ReadonlyArray<ToolCallRecord> | null
  /** the returns of a tool message (role `tool`) */
  readonly toolReturns: ReadonlyArray<ToolReturnRecord> | null
  /** an approval response (role `approval` without calls) */
  readonly approvalResponse: ApprovalResponse | null
}

export type RunStatus = "created" | "running" | "completed" | "failed" | "cancelled"

export interface RequestConfig {
  readonly use_assistant_message: boolean
  readonly assistant_message_tool_name: string
  readonly assistant_message_tool_kwarg: string
  readonly include_return_message_types: ReadonlyArray<string> | null
}

export interface RunRecord {
  readonly id: string
  readonly seq: number
  readonly agentId: string
  readonly conversationId: string | null
  readonly createdAt: number
  readonly background: boolean
  readonly requestConfig: RequestConfig
  readonly callbackUrl: string | null
  status: RunStatus
  completedAt: number | null
  stopReason: string | null
  metadata: Record<string, unknown>
  ttftNs: number | null
  totalDurationNs: number | null
  /** when the callback went out (epoch millis; written naive like `completed_at`) */
  callbackSentAt: number | null
  /** the receiver's status code, when it answered */
  callbackStatusCode: number | null
  /** why the callback failed, when it did */
  callbackError: string | null
}

export type StepStatus = "pending" | "success" | "failed" | "cancelled"

export interface StepRecord {
  readonly id: string
  readonly seq: number
  readonly runId: string
  readonly agentId: string
  readonly promptTokens: number
  readonly completionTokens: number
  readonly totalTokens: number
  readonly stopReason: string | null
  readonly status: StepStatus
  readonly errorType: string | null
  readonly errorData: Record<string, unknown> | null
}

export interface BlockRecord {
  readonly id: string
  readonly label: string
  readonly value: string
  readonly limit: number
  readonly description: string | null
  readonly readOnly: boolean
  readonly metadata: Record<string, unknown>
  readonly tags: ReadonlyArray<string>
}

export interface LlmConfig {
  readonly handle: string
  readonly model: string
  readonly providerName: string
  readonly endpointType: string
  readonly endpoint: string | null
  readonly contextWindow: number
  /** `llm_config.parallel_tool_calls`: when off, the agent loop keeps only the first call of a response */
  readonly parallelToolCalls: boolean
}

export interface EmbeddingConfig {
  readonly handle: string
  readonly model: string
  readonly endpointType: string
  readonly endpoint: string | null
  readonly dim: number
}

export interface AgentRecord {
  readonly id: string
  readonly seq: number
  readonly name: string
  readonly system: string
  readonly agentType: string
  readonly llm: LlmConfig
  readonly embedding: EmbeddingConfig | null
  readonly blocks: ReadonlyArray<BlockRecord>
  readonly tags: ReadonlyArray<string>
  readonly metadata: Record<string, unknown> | null
  readonly description: string | null
  readonly timezone: string
  readonly createdAt: number
  updatedAt: number
  /** ids of the in-context messages, system message first */
  inContext: Array<string>
  lastStopReason: string | null
  lastRunCompletion: number | null
  lastRunDurationMs: number | null
  /**
   * The run id the real server keeps under `agent:send_message:run_id:<agent>` in
   * Redis. Only synchronous and streaming sends write it, never async ones.
   */
  lastSendRunId: string | null
}

/**
 * A conversation of an agent (`conv-<uuid4>`): its own system message and
 * context window over the agent's message table.
 */
export interface ConversationRecord {
  readonly id: string
  readonly seq: number
  readonly agentId: string
  readonly createdAt: number
  readonly summary: string | null
  readonly model: string | null
  readonly modelSettings: Record<string, unknown> | null
  readonly isolatedBlockIds: ReadonlyArray<string>
  updatedAt: number
  lastMessageAt: number | null
  /** ids of the in-context messages, its system message first */
  inContext: Array<string>
}

/**
 * A message to store; the fields a plain message leaves unset default to
 * `null`. `id` is only given when it was handed out before the message was
 * persisted (token streams show it in their deltas).
 */
export type NewMessage =
  & Pick<MessageRecord, "agentId" | "role" | "content" | "createdAt">
  & Partial<
    Pick<
      MessageRecord,
      | "id"
      | "otid"
      | "name"
      | "senderId"
      | "groupId"
      | "stepId"
      | "runId"
      | "conversationId"
      | "toolCalls"
      | "toolReturns"
      | "approvalResponse"
    >
  >

/** One page of DB messages, selected like `message_manager.list_messages`. */
export interface MessageQuery {
  readonly after?: string | undefined
  readonly before?: string | undefined
  readonly limit: number | null
  readonly ascending: boolean
  readonly groupId?: string | undefined
  readonly conversationId?: string | undefined
}

/** A cursor the store could not resolve (the real server's `NoResultFound`). */
export class UnknownCursor {
  readonly _tag = "UnknownCursor"
  constructor(readonly id: string) {}
}

// Index of the first element whose seq is > (or >=) `seq`.
const upperBound = (items: ReadonlyArray<{ readonly seq: number }>, seq: number): number => {
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (items[mid]!.seq <= seq) lo = mid + 1
    else hi = mid
  }
  return lo
}

const lowerBound = (items: ReadonlyArray<{ readonly seq: number }>, seq: number): number => {
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (items[mid]!.seq < seq) lo = mid + 1
    else hi = mid
  }
  return lo
}

export class Store {
  private nextSeq = 1
  readonly agents = new Map<string, AgentRecord>()
  readonly messages = new Map<string, MessageRecord>()
  private readonly agentMessages = new Map<string, Array<MessageRecord>>()
  readonly runs = new Map<string, RunRecord>()
  private readonly runMessages = new Map<string, Array<MessageRecord>>()
  readonly steps = new Map<string, StepRecord>()
  readonly conversations = new Map<string, ConversationRecord>()
  /** each conversation's messages in position order (`conversation_messages`) */
  private readonly conversationMessages = new Map<string, Array<MessageRecord>>()

  seq(): number {
    return this.nextSeq++
  }

  addAgent(agent: Omit<AgentRecord, "seq">): AgentRecord {
    const record: AgentRecord = { ...agent, seq: this.seq() }
    this.agents.set(record.id, record)
    this.agentMessages.set(record.id, [])
    return record
  }

  deleteAgent(agentId: string): ReadonlyArray<RunRecord> {
    this.agents.delete(agentId)
    for (const message of this.agentMessages.get(agentId) ?? []) this.messages.delete(message.id)
    this.agentMessages.delete(agentId)
    for (const conversation of this.conversations.values()) {
      if (conversation.agentId === agentId) {
        this.conversations.delete(conversation.id)
        this.conversationMessages.delete(conversation.id)
      }
    }
    // Runs and steps reference the agent with ON DELETE CASCADE in the real schema.
    const removed: Array<RunRecord> = []
    for (const run of this.runs.values()) {
      if (run.agentId === agentId) {
        removed.push(run)
        this.deleteRun(run.id)
      }
    }
    return removed
  }

  addMessage(message: NewMessage): MessageRecord {
    const record: MessageRecord = {
      otid: null,
      name: null,
      senderId: null,
      groupId: null,
      stepId: null,
      runId: null,
      conversationId: null,
      toolCalls: null,
      toolReturns: null,
      approvalResponse: null,
      ...message,
      id: message.id ?? Ids.make("message"),
      seq: this.seq()
    }
    this.messages.set(record.id, record)
    this.agentMessages.get(record.agentId)?.push(record)
    if (record.conversationId !== null) this.conversationMessages.get(record.conversationId)?.push(record)
    if (record.runId !== null) {
      const list = this.runMessages.get(record.runId)
      if (list === undefined) this.runMessages.set(record.runId, [record])
      else list.push(record)
    }
    return record
  }

  /** `list_messages` for an agent or a run: absolute cursors over `seq`. */
  listMessages(
    scope: { readonly agentId: string } | { readonly runId: string },
    query: MessageQuery
  ): ReadonlyArray<MessageRecord> | UnknownCursor {
    let items: ReadonlyArray<MessageRecord> = "agentId" in scope
      ? this.agentMessages.get(scope.agentId) ?? []
      : this.runMessages.get(scope.runId) ?? []
    if (query.groupId !== undefined) items = items.filter((m) => m.groupId === query.groupId)
    // Omitted: every thread; "default": only the agent-direct thread; otherwise that conversation.
    if (query.conversationId !== undefined) {
      const wanted = query.conversationId === "default" ? null : query.conversationId
      items = items.filter((m) => m.conversationId === wanted)
    }
    let from = 0
    let to = items.length
    if (query.after !== undefined) {
      const ref = this.messages.get(query.after)
      if (ref === undefined) return new UnknownCursor(query.after)
      from = upperBound(items, ref.seq)
    }
    if (query.before !== undefined) {
      const ref = this.messages.get(query.before)
      if (ref === undefined) return new UnknownCursor(query.before)
      to = lowerBound(items, ref.seq)
    }
    if (to <= from) return []
    const limit = query.limit === null || query.limit < 0 ? Number.POSITIVE_INFINITY : query.limit
    const count = Math.min(limit, to - from)
    return query.ascending ? items.slice(from, from + count) : items.slice(to - count, to).reverse()
  }

  /**
   * `list_conversation_messages`: cursors are positions in the conversation
   * and one that is not part of it is ignored; `descending` lists newest
   * first. An unknown conversation simply has no messages.
   */
  listConversationMessages(conversationId: string, query: {
    readonly after?: string | undefined
    readonly before?: string | undefined
    readonly limit: number | null
    readonly descending: boolean
    readonly groupId?: string | undefined
  }): ReadonlyArray<MessageRecord> {
    const all = this.conversationMessages.get(conversationId) ?? []
    const position = (id: string | undefined) => id === undefined ? -1 : all.findIndex((m) => m.id === id)
    const before = position(query.before)
    const after = position(query.after)
    let items = all.filter((m, i) =>
      (query.groupId === undefined || query.groupId === "" || m.groupId === query.groupId) &&
      (before === -1 || i < before) &&
      (after === -1 || i > after)
    )
    if (query.descending) items = [...items].reverse()
    return query.limit === null || query.limit < 0 ? items : items.slice(0, query.limit)
  }

  addConversation(conversation: Omit<ConversationRecord, "seq">): ConversationRecord {
    const record: ConversationRecord = { ...conversation, seq: this.seq() }
    this.conversations.set(record.id, record)
    this.conversationMessages.set(record.id, [])
    return record
  }

  addRun(run: Omit<RunRecord, "seq">): RunRecord {
    const record: RunRecord = { ...run, seq: this.seq() }
    this.runs.set(record.id, record)
    return record
  }

  deleteRun(runId: string): void {
    this.runs.delete(runId)
    this.runMessages.delete(runId)
    for (const step of this.steps.values()) if (step.runId === runId) this.steps.delete(step.id)
  }

  addStep(step: Omit<StepRecord, "id" | "seq"> & { readonly id?: string | undefined }): StepRecord {
    const record: StepRecord = { ...step, id: step.id ?? Ids.make("step"), seq: this.seq() }
    this.steps.set(record.id, record)
    return record
  }

  runSteps(runId: string): ReadonlyArray<StepRecord> {
    return Array.from(this.steps.values()).filter((s) => s.runId === runId).sort((a, b) => a.seq - b.seq)
  }
}
