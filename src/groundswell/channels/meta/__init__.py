"""Facebook Pages and Instagram (Graph API): comment and message webhooks in; comment
replies and Send API messages out."""
