import { Command, CommandRunner, Option } from 'nest-commander';
import { UsersService } from '../users/users.service';

@Command({
  name: 'make-admin',
  arguments: '<username>',
  description: 'give a user the admin role (queue dashboard, admin-only routes); --revoke takes it back',
})
export class MakeAdminCommand extends CommandRunner {
  constructor(private readonly users: UsersService) {
    super();
  }

  async run([username]: string[], options: { revoke?: boolean }): Promise<void> {
    const role = options.revoke ? 'user' : 'admin';
    const userId = await this.users.setRole(username, role);
    if (userId === null) throw new Error(`no user "${username}"`);
    console.log(options.revoke ? `${username} (id ${userId}) is no longer an admin` : `${username} (id ${userId}) is now an admin`);
  }

  @Option({ flags: '--revoke', description: 'make the user an ordinary user again' })
  parseRevoke(): boolean {
    return true;
  }
}
