"""What a directory holds apart from its people's sign-in methods: the directory itself, its
accounts, its clients (relying apps), its signing keys, and the token grants issued to them."""
