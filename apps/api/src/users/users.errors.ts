import { DomainError, NotFoundError, ValidationFailedError } from '@app/common';

export class UserNotFoundError extends NotFoundError {
  constructor() {
    super('USER_NOT_FOUND', 'No such user.');
  }
}

export class EmailTakenError extends DomainError {
  constructor() {
    super('conflict', 'USER_EMAIL_TAKEN', 'An account with this email already exists.');
  }
}

export class IncorrectPasswordError extends ValidationFailedError {
  constructor(field = 'password') {
    super([{ field, message: `${field} is incorrect` }], 'The password is incorrect.');
  }
}

export class InvalidUserTokenError extends DomainError {
  constructor() {
    super('validation', 'INVALID_OR_EXPIRED_TOKEN', 'The token is invalid, expired or already used.');
  }
}

export class EmailAlreadyVerifiedError extends DomainError {
  constructor() {
    super('conflict', 'EMAIL_ALREADY_VERIFIED', 'This email address is already verified.');
  }
}

/** Admins cannot disable, demote or delete themselves through the admin routes (no lock-out). */
export class SelfAdministrationError extends DomainError {
  constructor() {
    super(
      'forbidden',
      'ADMIN_SELF_CHANGE_FORBIDDEN',
      'Administrators cannot change their own role or status, or delete themselves, here.',
    );
  }
}

/** No change may leave the application without an active administrator (nobody could manage users). */
export class LastAdminError extends DomainError {
  constructor() {
    super(
      'conflict',
      'LAST_ADMIN',
      'This is the last active administrator: make another account an active administrator first.',
    );
  }
}
