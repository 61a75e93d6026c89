-- AlterTable
ALTER TABLE "records" DROP COLUMN "fault_plan",
ADD COLUMN     "memo" JSONB;
