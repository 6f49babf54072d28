// How an app uses Civic's API with types generated from its schema (README: API):
//
//   npx openapi-typescript http://HOST/api/schema/ --output civic-api.d.ts
//   npx tsc --noEmit --project clients/ts/tsconfig.json
//
// tests/civic/test_api_clients.py generates civic-api.d.ts beside a copy of this file and
// compiles it: a field read here that the schema renames or drops fails that test.
import type { components, operations } from "./civic-api";

type Schemas = components["schemas"];
type Json<Answer> = Answer extends { content: { "application/json": infer Body } } ? Body : never;

export type Topic = Schemas["TopicDetail"];
export type Refusal = Schemas["ConflictError"];
type TokenAnswer = Json<operations["v1_auth_token_create"]["responses"][200]>;
type TopicPage = Json<operations["v1_topics_list"]["responses"][200]>;
type AdvanceBody = operations["v1_topics_advance_create"]["requestBody"]["content"]["application/json"];
type CommentBody = operations["v1_topics_comments_create"]["requestBody"]["content"]["application/json"];
type NewComment = Json<operations["v1_topics_comments_create"]["responses"][201]>;
type AnswersBody = operations["v1_surveys_responses_create"]["requestBody"]["content"]["application/json"];

export class CivicApi {
  private token = "";

  constructor(private readonly base: string) {}

  private async call<Answer>(method: string, path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(this.base + path, {
      method,
      headers: {
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(this.token ? { Authorization: `Token ${this.token}` } : {}),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new CivicError(response.status, await response.json());
    }
    return (await response.json()) as Answer;
  }

  async logIn(username: string, password: string): Promise<void> {
    const answer = await this.call<TokenAnswer>("POST", "/api/v1/auth/token/", { username, password });
    this.token = answer.token;
  }

  topicsOf(community: number): Promise<TopicPage> {
    return this.call<TopicPage>("GET", `/api/v1/topics/?community=${community}`);
  }

  topic(id: number): Promise<Topic> {
    return this.call<Topic>("GET", `/api/v1/topics/${id}/`);
  }

  comment(topic: number, body: string, parent?: number): Promise<NewComment> {
    const payload: CommentBody = parent === undefined ? { body } : { body, parent };
    return this.call<NewComment>("POST", `/api/v1/topics/${topic}/comments/`, payload);
  }

  answer(survey: number, answers: AnswersBody["answers"]): Promise<unknown> {
    return this.call("POST", `/api/v1/surveys/${survey}/responses/`, { answers } satisfies AnswersBody);
  }

  advance(topic: number, to: AdvanceBody["to"], note = ""): Promise<Topic> {
    return this.call<Topic>("POST", `/api/v1/topics/${topic}/advance/`, { to, note } satisfies AdvanceBody);
  }
}

export class CivicError extends Error {
  constructor(
    readonly status: number,
    readonly body: { code?: string; detail?: string; blockers?: string[] },
  ) {
    super(body.detail ?? `HTTP ${status}`);
  }

  /** The guard's reasons when a workflow move was refused (409 workflow_blocked), else []. */
  get blockers(): string[] {
    const refusal = this.body as Partial<Refusal>;
    return this.status === 409 && refusal.code === "workflow_blocked" ? (refusal.blockers ?? []) : [];
  }
}

/** What a resident reads on a topic: where it stands and, per next step, why it cannot move yet. */
export function whereItStands(topic: Topic): string[] {
  const last = topic.history[topic.history.length - 1];
  const lines = [`${topic.title}: ${topic.step_label} since ${last?.at ?? topic.step_entered_at}`];
  for (const next of topic.next_steps) {
    lines.push(next.allowed ? `${next.action}: possible` : `${next.action}: ${next.blockers.join("; ")}`);
  }
  return lines;
}

/** A clerk's move: made, or the blockers that held it. */
export async function tryToMove(api: CivicApi, topic: number, to: AdvanceBody["to"]): Promise<Topic | string[]> {
  try {
    return await api.advance(topic, to);
  } catch (error) {
    if (error instanceof CivicError && error.blockers.length) {
      return error.blockers;
    }
    throw error;
  }
}
