// The fixed texts of the secure-channel handshake, the same in both wire versions: vodozemac's `ecies` (v2024)
// and `hpke` (v2025) modules use these strings, and MSC4108 / MSC4388 "Secure channel establishment" name them.

/** The application info: the HPKE `info` of v2025, and the start of every v2024 HKDF info string. */
export const QR_LOGIN_INFO = "MATRIX_QR_CODE_LOGIN";
/** S proves it holds the channel key by sending this first (v2024 nonce 0; v2025 primary context, seq 0). */
export const LOGIN_INITIATE_PLAINTEXT = "MATRIX_QR_CODE_LOGIN_INITIATE";
/** G's answer under its own key (v2024 nonce 0; v2025 response context, seq 0). */
export const LOGIN_OK_PLAINTEXT = "MATRIX_QR_CODE_LOGIN_OK";
/** The label the check code is derived under (v2024 HKDF info, v2025 exporter context). */
export const CHECK_CODE_LABEL = "MATRIX_QR_CODE_LOGIN_CHECKCODE";
