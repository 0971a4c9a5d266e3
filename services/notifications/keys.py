"""notifications' keypair for channel secrets: only this service opens a channel's target and secret.

The operator's command seals them with the public key (``public_key`` RPC) before anything
leaves it, so organisations, the bus and both databases hold ciphertext; notifications opens a
channel only to deliver (PyNaCl sealed boxes: Curve25519 + XSalsa20-Poly1305, one-time sender
keys). The private key comes from ``KEPU_CHANNEL_PRIVATE_KEY`` (production: a secret of the
deployment) or else from a file made on the first start, readable by the owner only
(``KEPU_CHANNEL_KEY_FILE``, default ``KEPU_VAR_DIR/keys/notifications-channels.key``). Replicas
must share the key; losing it means adding the channels again.
"""
from __future__ import annotations

import base64
import binascii
import logging
import os
import stat
import tempfile
from pathlib import Path

from nacl.encoding import Base64Encoder
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from libs.common.channels import seal
from services.notifications.domain.deliveries import ChannelGone

log = logging.getLogger(__name__)
OWNER_ONLY = 0o600


class ChannelKey:
    """Seals and opens channel secrets with notifications' private key."""

    def __init__(self, private: PrivateKey):
        self._box = SealedBox(private)
        self.public_key = private.public_key.encode(Base64Encoder).decode()

    @classmethod
    def load(cls, configured: str, key_file: Path) -> "ChannelKey":
        """The key given in the setting (base64), else the file's, made on the first start."""
        if configured:
            return cls(private_key_of(configured, "KEPU_CHANNEL_PRIVATE_KEY"))
        return cls(key_from_file(key_file))

    def open(self, sealed: str) -> str:
        """The clear text of a sealed value ("" stays ""); ``ChannelGone`` if this key cannot open it."""
        if not sealed:
            return ""
        try:
            return self._box.decrypt(sealed.encode(), encoder=Base64Encoder).decode()
        except (CryptoError, ValueError, binascii.Error):
            raise ChannelGone("the channel was sealed for another key (was notifications' key replaced?); "
                              "add the channel again with `kepu org channel add`") from None

    def seal(self, clear: str) -> str:
        return seal(self.public_key, clear)


def private_key_of(text: str, source: str) -> PrivateKey:
    try:
        return PrivateKey(base64.b64decode(text.strip(), validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise ValueError(f"{source} does not hold a private key (32 bytes, base64)") from None


def key_from_file(path: Path) -> PrivateKey:
    """The private key in ``path``, written there first if there is none: owner-only (0600) in an
    owner-only folder (0700). Replicas starting together keep the first one written (a complete
    file is linked into place, which fails if another got there first)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=".new-key-")  # mkstemp: 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(PrivateKey.generate().encode(Base64Encoder) + b"\n")
            os.link(scratch, path)
            log.info("made notifications' channel key in %s (back it up: channels sealed for it open only with it)",
                     path)
        except FileExistsError:
            pass
        finally:
            os.unlink(scratch)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o): made owner-only; if others could read it, replace the "
                    "key and add the channels again", path, mode)
        path.chmod(OWNER_ONLY)
    return private_key_of(path.read_text(), str(path))
