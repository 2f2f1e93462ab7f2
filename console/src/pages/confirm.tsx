import { useEffect, useRef } from 'preact/hooks';

/**
 * A modal confirmation (the native <dialog>: focus moves into it, Escape cancels) that says
 * exactly what dies before anything does.
 */
export function Confirm(props: {
  title: string;
  lines: string[];
  action: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={props.onCancel}>
      <h2 id="confirm-title">{props.title}</h2>
      {props.lines.map((l) => (
        <p class="text">{l}</p>
      ))}
      <div class="actions">
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.action}
        </button>
        <button type="button" onClick={props.onCancel} autofocus>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
