"""The web chat widget: visitors on the company's site chat, agents answer from the inbox."""
