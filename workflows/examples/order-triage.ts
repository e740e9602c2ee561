import { z } from "zod";
import { defineWorkflow } from "../define-workflow.js";
import { agent, approval, chain, code, llm, tool } from "../step.js";
import type { Order } from "./tools/orders.js";

export const OrderIssue = z.object({
  orderId: z.string().regex(/^\d{3,10}$/, "an order number of 3–10 digits").describe("The order number, digits only (e.g. 4411)"),
  message: z.string().min(3).max(2000).describe("What the customer wrote about the problem"),
});

const Triage = z.object({
  orderId: z.string().describe("The order number the customer gave"),
  kind: z
    .union([
      z.literal("damaged").describe("The item arrived broken, cracked, crushed or damaged"),
      z.literal("wrong_item").describe("A different item than the one ordered was delivered"),
      z.literal("late").describe("The order has not arrived yet, is delayed or is lost in delivery"),
    ])
    .describe("What went wrong"),
});

/** When a late order should arrive: the carrier's transit time after it shipped. */
function estimateArrival(order: Order) {
  const arrival = new Date(`${order.shippedAt}T12:00:00Z`);
  arrival.setUTCDate(arrival.getUTCDate() + order.transitDays);
  return { orderId: order.orderId, carrier: order.carrier, shippedAt: order.shippedAt, estimatedArrival: arrival.toISOString().slice(0, 10) };
}

/**
 * Order exception triage (routing): classify what went wrong with an order, then handle it the
 * way that kind of problem is handled — a refund a person approves, an apology and exchange the
 * writer drafts, or a delivery estimate.
 */
export const orderTriage = defineWorkflow({
  name: "order-triage",
  description:
    "Handles a problem a customer reports with an order: an item that arrived damaged, a wrong item, or a late delivery. Classifies it and routes it: a refund a person approves, an exchange, or a delivery estimate.",
  input: OrderIssue,
})
  .step(
    llm("classify", {
      system: "You triage customer service messages about orders. Answer with the order number and the kind of problem.",
      prompt: (issue) => `Order ${issue.orderId}. The customer wrote: ${issue.message}`,
      output: Triage,
    }),
  )
  .route((triage) => triage.kind, {
    damaged: chain(
      tool<{ orderId: string }, Order>("lookup_order", { args: (triage) => ({ orderId: triage.orderId }) }),
      approval<Order>("refund-ok", {
        title: (order) => `Refund $${order.total} to ${order.customer} for the damaged ${order.item} (order ${order.orderId})?`,
        timeout: "2d",
        onTimeout: "reject",
      }),
      tool<Order>("issue_refund", { args: (order) => ({ orderId: order.orderId, amount: order.total, reason: "arrived damaged" }) }),
    ),
    wrong_item: agent("writer", {
      task: (triage) =>
        `Write a short, warm apology to the customer of order ${triage.orderId}, who received the wrong item: a replacement ships today, and a prepaid return label is in their email.`,
    }),
    late: chain(tool<{ orderId: string }, Order>("lookup_order", { args: (triage) => ({ orderId: triage.orderId }) }), code("eta", estimateArrival)),
  })
  .definition();
