"""One client per CRM, each speaking that CRM's documented REST API."""
