// Dialogs of the workflow page: time travel from a step, and the Mermaid export.
import { api } from "./api.js";
import { openDialog } from "./dialogs.js";
import { h } from "./dom.js";
import { copyText, downloadText } from "./format.js";
import { createInputEditor } from "./input-editor.js";

/** Ask for the input to re-run `path` with (prefilled with its last input); resolves it or undefined. */
export async function timeTravelDialog({ path, record, inputSchema }) {
  const editor = createInputEditor({
    schema: inputSchema,
    title: "Step input",
    testId: "time-travel-editor",
  });
  if (inputSchema) editor.setMode("json");
  editor.setValue(record?.payload);
  let chosen;
  const { closed } = openDialog({
    title: `Time travel to ${path}`,
    description:
      "Runs the workflow again from this step with the input below. Earlier steps keep their results; this step and the ones after it are replaced.",
    size: "lg",
    testId: "time-travel-dialog",
    content: editor.el,
    actions: [
      { label: "Cancel", variant: "ghost", value: undefined },
      {
        label: "Run from here",
        variant: "primary",
        icon: "rewind",
        submit: true,
        testId: "time-travel-submit",
        onClick: (close) => {
          const value = editor.getValue();
          if (!value.ok) return;
          chosen = { inputData: value.value };
          close(true);
        },
      },
    ],
  });
  return (await closed) ? chosen : undefined;
}

/** Show the graph as Mermaid text with copy and download. */
export async function mermaidDialog({ workflowId, expand }) {
  const text = await api.graphMermaid(workflowId, expand);
  openDialog({
    title: "Mermaid diagram",
    description: "Paste into Markdown (```mermaid) on GitHub, GitLab or a docs site.",
    size: "lg",
    testId: "mermaid-dialog",
    content: h("pre", { class: "code-block", "data-testid": "mermaid-text", tabindex: "0" }, text),
    actions: [
      {
        label: "Download .mmd",
        variant: "secondary",
        icon: "download",
        onClick: () => downloadText(`${workflowId}.mmd`, text, "text/plain"),
      },
      { label: "Copy", variant: "primary", icon: "copy", onClick: () => copyText(text, "Mermaid copied") },
    ],
  });
}
