package store

// Permissions of a list's members.
const (
	Owner  = "Owner"  // everything
	Editor = "Editor" // items and purchase
	Viewer = "Viewer" // read and live events
)

// User is an account as the API shows it.
type User struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	AvatarURL   string `json:"avatarUrl"`
}

// Ref names a user in a *By field.
type Ref struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// List is a list as one caller sees it.
type List struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	OwnerID        string `json:"ownerId"`
	Permission     string `json:"permission"`
	ItemCount      int    `json:"itemCount"`
	PurchasedCount int    `json:"purchasedCount"`
	Seq            int64  `json:"seq"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
}

// Item is an item of a list.
type Item struct {
	ID          string  `json:"id"`
	ListID      string  `json:"listId"`
	Name        string  `json:"name"`
	Quantity    float64 `json:"quantity"`
	Unit        string  `json:"unit"`
	CategoryID  *string `json:"categoryId"`
	Notes       string  `json:"notes"`
	ImageURL    string  `json:"imageUrl"`
	IsPurchased bool    `json:"isPurchased"`
	PurchasedBy *Ref    `json:"purchasedBy"`
	PurchasedAt *string `json:"purchasedAt"`
	Position    int64   `json:"position"`
	Version     int64   `json:"version"`
	CreatedBy   Ref     `json:"createdBy"`
	CreatedAt   string  `json:"createdAt"`
	UpdatedBy   Ref     `json:"updatedBy"`
	UpdatedAt   string  `json:"updatedAt"`
}

// Collaborator is a member of a list.
type Collaborator struct {
	UserID      string `json:"userId"`
	DisplayName string `json:"displayName"`
	Email       string `json:"email"`
	AvatarURL   string `json:"avatarUrl"`
	Permission  string `json:"permission"`
	AddedAt     string `json:"addedAt"`
}

// ListDetail is a list with its items and collaborators.
type ListDetail struct {
	List
	Items         []Item         `json:"items"`
	Collaborators []Collaborator `json:"collaborators"`
}

// NewItem is what AddItem needs; the handler has validated it.
type NewItem struct {
	Name       string
	Quantity   float64
	Unit       string
	CategoryID *string
	Notes      string
	ImageURL   string
}

// ItemPatch holds the fields an UpdateItem changes; nil leaves a field as
// it is. CategoryID set to a pointer to "" clears the category.
type ItemPatch struct {
	Name            *string
	Quantity        *float64
	Unit            *string
	CategoryID      *string
	Notes           *string
	ImageURL        *string
	Position        *int64
	ExpectedVersion *int64
}

// CanEdit reports whether perm may change items.
func CanEdit(perm string) bool { return perm == Owner || perm == Editor }
