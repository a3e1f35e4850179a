package admin

import (
	"context"
	"io"
	"net/http"
)

// ProviderSpec reads the provider's OpenAPI document as the sandbox's binary
// embeds it, in YAML.
func (c *Client) ProviderSpec(ctx context.Context) ([]byte, error) {
	return c.document(ctx, OpProviderSpec)
}

// AdminSpec reads the admin API's OpenAPI document as the sandbox's binary
// embeds it, in YAML.
func (c *Client) AdminSpec(ctx context.Context) ([]byte, error) {
	return c.document(ctx, OpAdminSpec)
}

func (c *Client) document(ctx context.Context, op Operation) ([]byte, error) {
	res, err := c.send(ctx, op, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, errorOf(res)
	}
	return io.ReadAll(res.Body)
}
