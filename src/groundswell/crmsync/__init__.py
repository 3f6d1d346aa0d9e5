"""CRM sync: contacts, cases and interactions kept in step with Salesforce and HubSpot."""
