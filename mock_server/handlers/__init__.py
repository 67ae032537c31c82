"""HTTP handlers: one function per domain action, shared by both route families; the dialect passed in
reads the request and renders the reply. `routes.handlers()` binds them to operationIds."""
