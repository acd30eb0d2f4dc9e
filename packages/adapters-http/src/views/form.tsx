import type { Validation } from '@latchkey/domain';
import type { ComponentChildren } from 'preact';

/** Problems with a submitted form: by field name, plus one for the form as a whole. */
export interface FormErrors {
  readonly fields: Readonly<Record<string, string>>;
  readonly form?: string;
}

export const NO_ERRORS: FormErrors = { fields: {} };

/** Validations as errors by form field: `redirect_uris[2]` is reported on `redirect_uris`, as line 3. */
export const fieldErrors = (validations: readonly Validation[], form?: string): FormErrors => {
  const fields: Record<string, string> = {};
  for (const v of validations) {
    const indexed = /^([a-z_]+)\[(\d+)\]$/.exec(v.field);
    const name = indexed?.[1] ?? v.field;
    const detail = indexed === null ? v.detail : `line ${Number(indexed[2]) + 1} ${v.detail}`;
    fields[name] = fields[name] === undefined ? detail : `${fields[name]}; ${detail}`;
  }
  return { fields, ...(form === undefined ? {} : { form }) };
};

/** An alert above a form; nothing when there is no message. */
export const ErrorBox = ({ message }: { message: string | undefined }) =>
  message === undefined ? null : (
    <div class="error" role="alert">
      {message}
    </div>
  );

/** A notice after a completed action (docs/http-api.md#web-console). */
export const Notice = ({ message }: { message: string | undefined }) =>
  message === undefined ? null : (
    <div class="notice" role="status">
      {message}
    </div>
  );

/** A summary of the fields to correct, linking each to its control. */
export const ErrorSummary = ({ errors, labels }: { errors: FormErrors; labels: Record<string, string> }) => {
  const names = Object.keys(errors.fields);
  if (names.length === 0) return <ErrorBox message={errors.form} />;
  return (
    <div class="error" role="alert">
      <p>{errors.form ?? 'Please correct the fields below.'}</p>
      <ul>
        {names.map((name) => (
          <li key={name}>
            <a href={`#${name}`}>{`${labels[name] ?? name}: ${errors.fields[name] ?? ''}`}</a>
          </li>
        ))}
      </ul>
    </div>
  );
};

interface FieldProps {
  readonly name: string;
  readonly label: string;
  readonly errors: FormErrors;
  /** Shown before the first submit: the rule the value must follow. */
  readonly hint?: string;
  readonly optional?: boolean;
  readonly children: (describedBy: string | undefined, invalid: boolean) => ComponentChildren;
}

/**
 * A label, the control, its hint and its error, tied together with `aria-describedby` so that a
 * screen reader reads the rule and the problem with the control.
 */
export const Field = ({ name, label, errors, hint, optional, children }: FieldProps) => {
  const error = errors.fields[name];
  const ids = [hint === undefined ? '' : `${name}-hint`, error === undefined ? '' : `${name}-error`]
    .filter((id) => id !== '')
    .join(' ');
  return (
    <div class={error === undefined ? 'field' : 'field invalid'}>
      <label for={name}>
        {label}
        {optional === true ? <span class="optional"> (optional)</span> : null}
      </label>
      {hint === undefined ? null : (
        <p class="hint" id={`${name}-hint`}>
          {hint}
        </p>
      )}
      {error === undefined ? null : (
        <p class="field-error" id={`${name}-error`}>
          {error}
        </p>
      )}
      {children(ids === '' ? undefined : ids, error !== undefined)}
    </div>
  );
};

interface TextFieldProps {
  readonly name: string;
  readonly label: string;
  readonly errors: FormErrors;
  readonly value?: string;
  readonly hint?: string;
  readonly optional?: boolean;
  readonly type?: 'text' | 'email' | 'password' | 'url';
  readonly autocomplete?: string;
  readonly required?: boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
}

export const TextField = (props: TextFieldProps) => (
  <Field
    name={props.name}
    label={props.label}
    errors={props.errors}
    {...(props.hint === undefined ? {} : { hint: props.hint })}
    {...(props.optional === undefined ? {} : { optional: props.optional })}
  >
    {(describedBy, invalid) => {
      const common = {
        id: props.name,
        name: props.name,
        autocomplete: props.autocomplete,
        required: props.required === true,
        minLength: props.minLength,
        maxLength: props.maxLength,
        'aria-describedby': describedBy,
        'aria-invalid': invalid ? ('true' as const) : undefined,
      };
      // A password is never written back into the page.
      if (props.type === 'password') return <input type="password" {...common} />;
      const text = { value: props.value ?? '', pattern: props.pattern, ...common };
      switch (props.type) {
        case 'email':
          return <input type="email" {...text} />;
        case 'url':
          return <input type="url" {...text} />;
        case 'text':
        case undefined:
          return <input type="text" {...text} />;
      }
    }}
  </Field>
);

/** The values a form was submitted with, to fill it again (a password never is). */
export type FormValues = Readonly<Record<string, string>>;
