// Command oidc-provider runs a real OpenID Connect provider for Corral's single sign-on tests:
// github.com/zitadel/oidc's OpenID Provider (a certified implementation) with the in-memory
// storage and login page of its example server, plus what Corral needs from a directory: users
// from a JSON file, each with a "groups" claim in userinfo and the ID token, served over HTTPS.
//
// Environment: ISSUER (https://127.0.0.1:PORT/), LISTEN (127.0.0.1:PORT), TLS_CERT, TLS_KEY,
// USERS_FILE ({"<id>": {"username", "password", "firstName", "lastName", "email", "groups": []}}),
// CLIENT_ID, CLIENT_SECRET, REDIRECT_URI (comma-separated).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

type fileUser struct {
	Username  string   `json:"username"`
	Password  string   `json:"password"`
	FirstName string   `json:"firstName"`
	LastName  string   `json:"lastName"`
	Email     string   `json:"email"`
	Groups    []string `json:"groups"`
}

// users is the example's UserStore, read again on every lookup so a test can change or remove
// a user (and their groups) while the provider runs.
type users struct{ path string }

func (u users) load() map[string]fileUser {
	out := map[string]fileUser{}
	data, err := os.ReadFile(u.path)
	if err == nil {
		err = json.Unmarshal(data, &out)
	}
	if err != nil {
		slog.Error("cannot read users", "error", err)
	}
	return out
}

func (u users) GetUserByID(id string) *storage.User {
	f, ok := u.load()[id]
	if !ok {
		return nil
	}
	return &storage.User{ID: id, Username: f.Username, Password: f.Password, FirstName: f.FirstName,
		LastName: f.LastName, Email: f.Email, EmailVerified: true, PreferredLanguage: language.English}
}

func (u users) GetUserByUsername(name string) *storage.User {
	for id, f := range u.load() {
		if f.Username == name {
			return u.GetUserByID(id)
		}
	}
	return nil
}

func (u users) ExampleClientID() string { return "" }

// withGroups adds the "groups" claim wherever the example storage fills in a user's claims.
type withGroups struct {
	*storage.Storage
	users users
}

func (s withGroups) addGroups(info *oidc.UserInfo, userID string) {
	if f, ok := s.users.load()[userID]; ok {
		groups := f.Groups
		if groups == nil {
			groups = []string{}
		}
		info.AppendClaims("groups", groups)
	}
}

func (s withGroups) SetUserinfoFromScopes(ctx context.Context, info *oidc.UserInfo, userID, clientID string, scopes []string) error {
	if err := s.Storage.SetUserinfoFromScopes(ctx, info, userID, clientID, scopes); err != nil {
		return err
	}
	s.addGroups(info, userID)
	return nil
}

func (s withGroups) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	s.addGroups(info, req.GetSubject())
	return nil
}

func (s withGroups) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.addGroups(info, subject)
	return nil
}

func main() {
	need := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			fmt.Fprintf(os.Stderr, "oidc-provider: %s is required\n", name)
			os.Exit(2)
		}
		return v
	}
	issuer, listen := need("ISSUER"), need("LISTEN")
	u := users{path: need("USERS_FILE")}
	client := storage.WebClient(need("CLIENT_ID"), need("CLIENT_SECRET"), strings.Split(need("REDIRECT_URI"), ",")...)
	storage.RegisterClients(client)
	store := withGroups{Storage: storage.NewStorage(u), users: u}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	router := exampleop.SetupServer(issuer, store, logger, false)
	server := &http.Server{Addr: listen, Handler: router}
	logger.Info("serving", "issuer", issuer)
	if err := server.ListenAndServeTLS(need("TLS_CERT"), need("TLS_KEY")); err != http.ErrServerClosed {
		logger.Error("server stopped", "error", err)
		os.Exit(1)
	}
}
