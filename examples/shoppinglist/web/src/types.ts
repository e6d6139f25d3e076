// Types of the shopping-list contract (docs/shoppinglist-api.md): REST
// payloads and hub events, camelCase as on the wire.

export type Permission = "Owner" | "Editor" | "Viewer";

export interface User {
  id: string;
  email: string;
  displayName: string;
  avatarUrl: string | null;
}

export interface UserRef {
  id: string;
  displayName: string;
}

export interface AuthResponse {
  token: string;
  user: User;
}

export interface ShoppingList {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  permission: Permission;
  itemCount: number;
  purchasedCount: number;
  seq: number;
  createdAt: string;
  updatedAt: string;
}

export interface Item {
  id: string;
  listId: string;
  name: string;
  quantity: number;
  unit: string | null;
  categoryId: string | null;
  notes: string | null;
  imageUrl: string | null;
  isPurchased: boolean;
  purchasedBy: UserRef | null;
  purchasedAt: string | null;
  position: number;
  version: number;
  createdBy: UserRef | null;
  createdAt: string;
  updatedBy: UserRef | null;
  updatedAt: string;
}

export interface Collaborator {
  userId: string;
  displayName: string;
  email: string;
  avatarUrl: string | null;
  permission: Permission;
  addedAt: string;
}

export interface ListDetail extends ShoppingList {
  items: Item[];
  collaborators: Collaborator[];
}

export interface ActiveUser {
  id: string;
  displayName: string;
  avatarUrl: string | null;
  joinedAt?: string;
  lastSeenAt?: string;
}

interface EventBase {
  listId: string;
  timestamp: string;
}

interface ListEventBase extends EventBase {
  seq: number;
}

export type ListEvent =
  | (ListEventBase & { eventType: "ItemAdded"; item: Item })
  | (ListEventBase & { eventType: "ItemUpdated"; item: Item; changedFields: string[] })
  | (ListEventBase & { eventType: "ItemDeleted"; itemId: string; deletedBy: UserRef | null })
  | (ListEventBase & {
      eventType: "ItemPurchasedStatusChanged";
      itemId: string;
      isPurchased: boolean;
      purchasedBy: UserRef | null;
      purchasedAt: string | null;
      version: number;
    })
  | (ListEventBase & { eventType: "ListUpdated"; list: ShoppingList; changedFields: string[] })
  | (ListEventBase & { eventType: "ListDeleted"; deletedBy: UserRef | null })
  | (ListEventBase & { eventType: "CollaboratorAdded"; collaborator: Collaborator; invitedBy: UserRef | null })
  | (ListEventBase & {
      eventType: "CollaboratorPermissionChanged";
      userId: string;
      permission: Permission;
      changedBy: UserRef | null;
    })
  | (ListEventBase & {
      eventType: "CollaboratorRemoved";
      userId: string;
      displayName: string;
      removedBy: UserRef | null;
    });

export type ListEventType = ListEvent["eventType"];

export const LIST_EVENT_TYPES: ListEventType[] = [
  "ItemAdded",
  "ItemUpdated",
  "ItemDeleted",
  "ItemPurchasedStatusChanged",
  "ListUpdated",
  "ListDeleted",
  "CollaboratorAdded",
  "CollaboratorPermissionChanged",
  "CollaboratorRemoved",
];

export interface UserJoinedEvent extends EventBase {
  eventType: "UserJoined";
  user: ActiveUser;
}

export interface UserLeftEvent extends EventBase {
  eventType: "UserLeft";
  userId: string;
  displayName: string;
}

export interface PresenceUpdateEvent extends EventBase {
  eventType: "PresenceUpdate";
  activeUsers: ActiveUser[];
}

export interface AccessRevokedEvent extends EventBase {
  eventType: "AccessRevoked";
  reason: string;
}

export interface JoinListResult {
  seq: number;
  missed: ListEvent[];
  reloadRequired: boolean;
}
