import { createHash } from "node:crypto";
import { z } from "zod";
import { defineTool } from "../../../agents/define-tool.js";
import { ToolError } from "../../../agents/errors.js";

/** The shop's orders, as a small order system would return them. */
const ORDERS = [
  { orderId: "4411", customer: "Dana Whitfield", item: "Ceramic teapot, 1.2 l", total: 45.5, carrier: "Parcelnet", shippedAt: "2026-11-18", transitDays: 3 },
  { orderId: "4412", customer: "Omar Haddad", item: "Wool scarf, charcoal", total: 32, carrier: "Parcelnet", shippedAt: "2026-11-20", transitDays: 3 },
  { orderId: "4413", customer: "Mei Tanaka", item: "Standing desk lamp", total: 89.9, carrier: "SwiftPost", shippedAt: "2026-11-26", transitDays: 6 },
  { orderId: "4414", customer: "Lucas Moreau", item: "Espresso cups, set of 4", total: 27.8, carrier: "SwiftPost", shippedAt: "2026-11-27", transitDays: 4 },
  { orderId: "4415", customer: "Priya Raman", item: "Linen tablecloth", total: 54, carrier: "Parcelnet", shippedAt: "2026-11-29", transitDays: 3 },
] as const;

export type Order = (typeof ORDERS)[number];

const OrderId = z.string().regex(/^\d{3,10}$/, "an order number of 3–10 digits").describe("The order number, digits only");

export function findOrder(orderId: string): Order {
  const order = ORDERS.find((candidate) => candidate.orderId === orderId);
  if (!order) throw new ToolError(`There is no order ${orderId} on record (orders on record: ${ORDERS.map((o) => o.orderId).join(", ")}).`);
  return order;
}

export const lookupOrderTool = defineTool({
  name: "lookup_order",
  description: "Looks an order up by its number: customer, item, total paid, carrier and shipping date.",
  parameters: z.object({ orderId: OrderId }),
  execute: ({ orderId }) => findOrder(orderId),
});

/** A reference derived from the step's idempotency key: a retried step gets the same one, as a real system's dedup would. */
export function reference(prefix: string, idempotencyKey: string): string {
  return `${prefix}_${createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 12)}`;
}

export const issueRefundTool = defineTool({
  name: "issue_refund",
  description: "Refunds an amount of an order to the customer's original payment method. Never more than the order's total.",
  parameters: z.object({
    orderId: OrderId,
    amount: z.number().positive().describe("The amount to refund, in dollars"),
    reason: z.string().min(3).max(300).describe("Why the refund is issued"),
  }),
  execute: ({ orderId, amount, reason }, context) => {
    const order = findOrder(orderId);
    if (amount > order.total) throw new ToolError(`Cannot refund $${amount} on order ${orderId}: its total is $${order.total}.`);
    return { refundId: reference("rf", context.idempotencyKey), orderId, amount, reason, status: "issued" };
  },
});

export const notifyCustomerTool = defineTool({
  name: "notify_customer",
  description: "Sends the customer of an order an email with the given message.",
  parameters: z.object({ orderId: OrderId, message: z.string().min(3).max(2000).describe("The email's text") }),
  execute: ({ orderId, message }, context) => {
    const order = findOrder(orderId);
    return { notificationId: reference("msg", context.idempotencyKey), to: order.customer, orderId, message, status: "sent" };
  },
});

/** The refund policy: what may be refunded without a second look, and what needs a person. */
export const checkRefundPolicyTool = defineTool({
  name: "check_refund_policy",
  description: "Checks a refund request against the shop's policy: whether it is eligible, and the largest amount allowed.",
  parameters: z.object({
    orderId: OrderId,
    amount: z.number().positive().describe("The amount asked for, in dollars"),
    category: z.enum(["damaged", "not_received", "changed_mind"]).describe("Why the customer wants a refund"),
  }),
  execute: ({ orderId, amount, category }) => {
    const order = findOrder(orderId);
    const limit = category === "changed_mind" ? Math.round(order.total * 0.9 * 100) / 100 : order.total;
    const eligible = amount <= limit;
    const policy = eligible
      ? `${category.replace("_", " ")} refunds up to $${limit} are allowed for this order`
      : `the most that can be refunded for a ${category.replace("_", " ")} claim on this order is $${limit}`;
    return { orderId, customer: order.customer, amount: Math.min(amount, limit), asked: amount, category, eligible, limit, policy };
  },
});

export const orderTools = [lookupOrderTool, issueRefundTool, notifyCustomerTool, checkRefundPolicyTool];
