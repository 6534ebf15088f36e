"""Historical replays: scripted sequences of API calls played at the instants they happened."""
