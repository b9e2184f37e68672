package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Archivist stands for the SDK under test in Locust's example (Jitsuin's
// Archivist): a client of a REST API built on net/http, as most Go SDKs
// are, with its *http.Client replaceable.
type Archivist struct {
	HTTP *http.Client
	url  string
	auth string
}

// NewArchivist is a client of the API at url, authenticated by auth.
func NewArchivist(url, auth string) *Archivist {
	return &Archivist{HTTP: http.DefaultClient, url: url, auth: auth}
}

// CreateAsset creates an asset and returns its identity.
func (a *Archivist) CreateAsset(ctx context.Context, behaviours []string, attrs map[string]string) (string, error) {
	body, err := json.Marshal(map[string]any{"behaviours": behaviours, "attributes": attrs})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url+"/archivist/v2/assets", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+a.auth)
	req.Header.Set("Content-Type", "application/json")
	res, err := a.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("creating an asset: %s: %s", res.Status, data)
	}
	var asset struct{ Identity string }
	err = json.Unmarshal(data, &asset)
	return asset.Identity, err
}
