package dev.tune4j.io.hub;

import java.io.IOException;

/** A Hub download that cannot go on, in one line a user can act on (never holding the token). */
public final class HubException extends IOException {
    public HubException(String message) {
        super(message);
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}
