"""Generic signed JSON webhook: posts from any system, and offline touchpoints (calls,
store visits, surveys) so a customer's journey includes the channels that are not social."""
