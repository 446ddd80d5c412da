/**
 * The join page (/join/): code (prefilled from ?code=) and display name →
 * POST JOIN_API.join; the server sets the HttpOnly learner cookie, the page
 * shows whom it joined and links into the class's first lesson. A reader
 * who already joined (GET JOIN_API.me answers 200) sees that at once.
 * Every refusal is the Korean text of its error code (ko.classroom.errors);
 * the name is checked here with the server's own rule (nameProblem) first.
 * Names are shown with textContent only.
 */
import { JOIN_API, JoinCode, JoinResponse, nameProblem } from '../../lab-server/src/protocol.ts';
import { ko } from '../lab-client/messages.ko.ts';
import { call } from './api.ts';
import { classKo } from './messages.ko.ts';
import { formatTime } from './view.ts';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;

const form = $<HTMLFormElement>('[data-join-form]');
const code = $<HTMLInputElement>('#join-code');
const name = $<HTMLInputElement>('#join-name');
const submit = $<HTMLButtonElement>('[data-join-submit]');
const message = $('[data-join-message]');
const done = $('[data-join-done]');

code.value = JoinCode.parse(new URLSearchParams(location.search).get('code')?.slice(0, 32) ?? '');
(code.value ? name : code).focus();

function fail(text: string, field?: HTMLInputElement): void {
  message.textContent = text;
  for (const input of [code, name]) input.setAttribute('aria-invalid', String(input === field));
  field?.focus();
}

function showJoined(joined: JoinResponse, already: boolean): void {
  const { learner, class: cls } = joined;
  $('[data-join-welcome]').textContent = already ? classKo.join.already(learner.name, cls.name) : classKo.join.joined(learner.name, cls.name);
  $('[data-join-ends]').textContent = classKo.join.endsAt(formatTime(learner.endsAt));
  $<HTMLAnchorElement>('[data-join-start]').href = `/${cls.lessons[0] && cls.lessons[0] !== 'index' ? `${cls.lessons[0]}/` : ''}`;
  form.hidden = true;
  done.hidden = false;
  done.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (submit.disabled) return;
  const joinCode = JoinCode.parse(code.value);
  if (joinCode === '') return fail(classKo.join.codeEmpty, code);
  const problem = nameProblem(name.value);
  if (problem) return fail(ko.classroom.errors[problem]!, name);
  submit.disabled = true;
  message.textContent = '';
  submit.textContent = classKo.join.busy;
  const result = await call(JOIN_API.join, { body: { code: joinCode, name: name.value.trim() }, schema: JoinResponse });
  submit.disabled = false;
  submit.textContent = classKo.join.submit;
  if (result.ok) return showJoined(result.data, false);
  const field = result.code === 'bad-name' || result.code === 'name-markup' ? name : result.code === 'no-such-class' ? code : undefined;
  fail(result.message, field);
});

// Already joined in this browser: say so (the form stays reachable by reloading with another code).
void call(JOIN_API.me, { schema: JoinResponse }).then((r) => {
  if (r.ok && !new URLSearchParams(location.search).has('code')) showJoined(r.data, true);
});
