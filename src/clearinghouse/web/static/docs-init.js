// Starts Swagger UI on the platform's own OpenAPI document (no CDN, no inline script).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });
