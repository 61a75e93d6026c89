-- AlterTable
ALTER TABLE "charges" ADD COLUMN     "duplicate_attempts" INTEGER NOT NULL DEFAULT 0;
