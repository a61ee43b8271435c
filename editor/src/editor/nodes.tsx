// The canvas's two node types: the trigger (one output, to the first step) and a step (one
// input; one output handle per port, labelled, in the order the step defines them).

import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { createContext, useContext } from "react";
import type { Diagnostic, PortSpec, StepFigures } from "../api";
import { START_PORT } from "./workflow";

export interface StepNodeData extends Record<string, unknown> {
  id: string;
  kind: string;
  title: string;
  label?: string;
  summary: string;
  ports: PortSpec[];
  connected: string[];
  problems: Diagnostic[];
  /** Runs on the canvas: this step's figures for the version shown. */
  figures?: StepFigures | null;
}

export interface TriggerNodeData extends Record<string, unknown> {
  title: string;
  summary: string;
  problems: Diagnostic[];
}

/** What a node can ask of the editor: "+" on a free port adds a step connected to it. */
export const PortActions = createContext<{ addFrom?: (source: string, port: string) => void }>({});

function AddButton({ source, port }: { source: string; port: string }) {
  const { addFrom } = useContext(PortActions);
  if (!addFrom) return null;
  return (
    <button
      className="port-add nodrag"
      aria-label={`Add a step after ${source} (${port})`}
      title="Add a step connected to this port"
      onClick={(e) => {
        e.stopPropagation();
        addFrom(source, port);
      }}
    >
      +
    </button>
  );
}

export type StepNode = Node<StepNodeData, "step">;
export type TriggerNode = Node<TriggerNodeData, "trigger">;

function Problems({ problems }: { problems: Diagnostic[] }) {
  const errors = problems.filter((p) => p.severity === "error");
  if (problems.length === 0) return null;
  return (
    <div className={errors.length ? "node-problems error" : "node-problems warning"} title={problems.map((p) => p.message).join("\n")}>
      {errors.length ? `${errors.length} error${errors.length > 1 ? "s" : ""}` : `${problems.length} warning${problems.length > 1 ? "s" : ""}`}
    </div>
  );
}

function Figures({ figures }: { figures: StepFigures | null }) {
  if (!figures) return <div className="node-figures muted">no runs</div>;
  const errors = figures.http_errors;
  return (
    <div className="node-figures">
      <span title="Runs that entered this step (each once)">
        {figures.runs} run{figures.runs === 1 ? "" : "s"}
      </span>
      {figures.visits !== figures.runs && (
        <span title="Entries into this step: a run that came back by a jump counts each time; the ports count these">
          {figures.visits} visits
        </span>
      )}
      {figures.waiting > 0 && <span title="Runs waiting here now">{figures.waiting} waiting</span>}
      {figures.dropped > 0 && (
        <span className="dropped" title="Runs that ended here without completing (failed, exited, cancelled)">
          {figures.dropped} dropped
        </span>
      )}
      {figures.rating && (
        <span className="rating" title={`Average of ${figures.rating.answers} answers`}>
          ★ {figures.rating.average.toFixed(2)} ({figures.rating.answers})
        </span>
      )}
      {errors && (
        <span className="http-errors" title={errors.latest.join("\n")}>
          {errors.count} HTTP error{errors.count > 1 ? "s" : ""}
        </span>
      )}
    </div>
  );
}

export function StepNodeView({ data, selected }: NodeProps<StepNode>) {
  const hasError = data.problems.some((p) => p.severity === "error");
  return (
    <div className={`node step kind-${data.kind}${selected ? " selected" : ""}${hasError ? " invalid" : ""}`} data-step={data.id}>
      <Handle type="target" position={Position.Left} className="in" />
      <div className="node-head">
        <span className="node-kind">{data.title}</span>
        <span className="node-id">{data.id}</span>
      </div>
      {data.label && <div className="node-label">{data.label}</div>}
      {data.summary && <div className="node-summary">{data.summary}</div>}
      <Problems problems={data.problems} />
      {data.figures !== undefined && <Figures figures={data.figures} />}
      <div className="ports">
        {data.ports.map((port) => (
          <div className={`port${data.connected.includes(port.name) ? " connected" : ""}${port.required ? " required" : ""}`} key={port.name} data-port={port.name}>
            {!data.connected.includes(port.name) && <AddButton source={data.id} port={port.name} />}
            <span>{port.label}</span>
            <Handle type="source" position={Position.Right} id={port.name} className="out" />
          </div>
        ))}
      </div>
    </div>
  );
}

export function TriggerNodeView({ data, selected }: NodeProps<TriggerNode>) {
  const hasError = data.problems.some((p) => p.severity === "error");
  return (
    <div className={`node trigger${selected ? " selected" : ""}${hasError ? " invalid" : ""}`} data-step="trigger">
      <div className="node-head">
        <span className="node-kind">Trigger</span>
      </div>
      <div className="node-label">{data.title}</div>
      {data.summary && <div className="node-summary">{data.summary}</div>}
      <Problems problems={data.problems} />
      <div className="ports">
        <div className="port" data-port={START_PORT}>
          <span>start</span>
          <Handle type="source" position={Position.Right} id={START_PORT} className="out" />
        </div>
      </div>
    </div>
  );
}

export const nodeTypes = { step: StepNodeView, trigger: TriggerNodeView };
