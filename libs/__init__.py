"""Kepu Monitor's shared libraries (``libs.common``) and tools (``libs.cli``, ``libs.localenv``)."""
import warnings

# eventlet 0.4x announces its own deprecation on import; nameko 2 needs it all the same.
warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated", category=Warning)
